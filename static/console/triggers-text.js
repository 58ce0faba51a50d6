// The trigger rules' vocabulary in the console's words: events, variables, operators and actions, as
// `callpop_core::triggers` names them on the wire. The server validates every rule; these only label the form.

export const EVENTS = [
  ['call_started', 'A call starts (rings)'],
  ['call_answered', 'A call is answered'],
  ['call_ended', 'A call ends'],
  ['text_received', 'A text message arrives'],
  ['recording_ready', 'A call\'s recording is ready'],
];

// [name, kind, description] in the order core's `VARIABLES` lists them. Kinds: text, bool, count, list.
export const VARIABLES = [
  ['call_id', 'text', 'the telephony side\'s call id'],
  ['direction', 'text', 'inbound or outbound'],
  ['answered', 'bool', 'whether an agent answered (true or false)'],
  ['duration', 'count', 'the call\'s length in seconds (when it ends)'],
  ['caller_number', 'text', 'the caller\'s number, formatted per the account\'s options'],
  ['caller_name', 'text', 'the caller\'s name (caller id)'],
  ['caller_city', 'text', 'the caller\'s city'],
  ['caller_region', 'text', 'the caller\'s state or province'],
  ['caller_country', 'text', 'the caller\'s country'],
  ['tracking_number', 'text', 'the number the caller dialled'],
  ['tracking_source', 'text', 'the source the tracking number belongs to (e.g. Google Ads)'],
  ['campaign', 'text', 'the marketing campaign'],
  ['keywords', 'list', 'the search keywords that led to the call'],
  ['tags', 'list', 'the call\'s tags'],
  ['disposition', 'text', 'how the call ended (e.g. Left voicemail)'],
  ['recording_url', 'text', 'the link to the call\'s recording'],
  ['agent_name', 'text', 'the agent who has the call'],
  ['started_at', 'text', 'when the call started'],
  ['message_body', 'text', 'the text of an incoming text message'],
  ['call_type', 'text', 'Inbound or Outbound, as Salesforce\'s Task.CallType spells it'],
];

export const CUSTOM_PREFIX = 'custom.';

export const OPERATORS = [
  ['equals', 'equals'],
  ['not_equals', 'does not equal'],
  ['contains', 'contains'],
  ['not_contains', 'does not contain'],
  ['starts_with', 'starts with'],
  ['in_list', 'is one of'],
  ['not_in_list', 'is none of'],
  ['greater_than', 'is greater than'],
  ['less_than', 'is less than'],
  ['is_set', 'is set'],
  ['is_blank', 'is blank'],
];

export const NO_OPERAND = ['is_set', 'is_blank'];
export const LIST_OPERAND = ['in_list', 'not_in_list'];
export const NUMBER_OPERAND = ['greater_than', 'less_than'];

export const ACTIONS = [
  ['find_or_create', 'Find or create a record'],
  ['update_record', 'Update the call\'s record'],
  ['log_task', 'Log the call as a Task'],
  ['add_to_campaign', 'Add the record to a Campaign'],
];

export function eventName(event) {
  const found = EVENTS.find(([value]) => value === event);
  return found ? found[1] : event;
}

export function operatorName(op) {
  const found = OPERATORS.find(([value]) => value === op);
  return found ? found[1] : op;
}

export function actionName(type) {
  const found = ACTIONS.find(([value]) => value === type);
  return found ? found[1] : type;
}

export function variableKind(field) {
  const found = VARIABLES.find(([name]) => name === field);
  return found ? found[1] : 'any';
}

// A condition's operand as the form shows it.
export function operandText(value) {
  if (value === undefined || value === null) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

// The form's text as the operand the rule needs for `field` and `op`; text the server will refuse is sent as is.
export function operandValue(field, op, text) {
  if (NO_OPERAND.includes(op)) return undefined;
  const trimmed = text.trim();
  if (LIST_OPERAND.includes(op)) return trimmed.split(',').map((item) => item.trim()).filter(Boolean);
  const kind = variableKind(field);
  const number = Number(trimmed);
  if (NUMBER_OPERAND.includes(op) || kind === 'count') return trimmed !== '' && Number.isFinite(number) ? number : trimmed;
  if (kind === 'bool' && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === 'true';
  return text;
}

// One line on what a condition tests, e.g. "duration is greater than 30".
export function describeCondition(condition) {
  const operand = NO_OPERAND.includes(condition.op) ? '' : ` ${operandText(condition.value)}`;
  return `${condition.field} ${operatorName(condition.op)}${operand}`;
}
