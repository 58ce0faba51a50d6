// The triggers page (`/api/v1/triggers`): the account's rules for what callpop writes into Salesforce when legacy
// mode is off, in the order they run. Create, edit, enable or disable, move up or down (`PUT /triggers/order`) and
// delete (after asking). The editor is one form whose inputs are named by the rule's JSON paths
// (`conditions.rules[0].value`, `actions[1].fields.LastName`), so the server's 422 shows each problem under the input
// it names. "Test against a past call" (`POST /triggers/test`) shows what the rule in the form would do for a recent
// call; it writes nothing.

import { api } from '../api.js';
import { consoleHref, el, pageHead, replace } from '../dom.js';
import { dateTime, sentence } from '../format.js';
import { clearErrors, showFailure, whileBusy } from '../forms.js';
import {
  ACTIONS, CUSTOM_PREFIX, EVENTS, NO_OPERAND, OPERATORS, VARIABLES, actionName, describeCondition, eventName,
  operandText, operandValue,
} from '../triggers-text.js';

const NEW_RULE = {
  name: '',
  enabled: true,
  event: 'call_ended',
  conditions: { match: 'all', rules: [] },
  actions: [{ type: 'log_task', fields: { Subject: '{{call_type}} call from {{caller_number}}' }, delay_secs: 0 }],
};

// The rule as the editor holds it: field maps become ordered [name, value] pairs so a row can be blank while typed.
function editable(rule) {
  const copy = JSON.parse(JSON.stringify(rule));
  copy.conditions = copy.conditions || { match: 'all', rules: [] };
  copy.conditions.rules = copy.conditions.rules || [];
  for (const action of copy.actions) {
    if (action.fields) action.fields = Object.entries(action.fields);
  }
  return copy;
}

// A labelled control with its error line, named `name` so the server's problems find it.
function control({ id, name, label, input, hint, className }) {
  const describedBy = [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(' ');
  input.id = id;
  input.name = name;
  input.setAttribute('aria-describedby', describedBy);
  return el('div', { className: `field ${className || ''}`.trim() },
    el('label', { for: id }, label),
    input,
    hint && el('p', { className: 'hint', id: `${id}-hint` }, hint),
    el('p', { className: 'field-error', id: `${id}-error`, hidden: true }));
}

function textInput(value, attributes) {
  const input = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attributes });
  input.value = value === undefined || value === null ? '' : String(value);
  return input;
}

function select(options, value) {
  const node = el('select', null, options.map(([optionValue, label]) =>
    el('option', { value: optionValue, selected: optionValue === value }, label)));
  node.value = value;
  return node;
}

// A button that the server's problems can point at (`actions`, `actions[0].fields`): it carries the name and an
// error line of its own.
function namedButton({ id, name, text, onclick, describedBy }) {
  const button = el('button', {
    type: 'button', className: 'button-quiet button-small', id, name, onclick,
    'aria-describedby': [describedBy, `${id}-error`].filter(Boolean).join(' '),
  }, text);
  return el('div', { className: 'field field-button' }, button,
    el('p', { className: 'field-error', id: `${id}-error`, hidden: true }));
}

// The editor: a form over `model`, redrawn from it whenever rows come or go.
function editor({ model, id, calls, onSaved, onCancel }) {
  const form = el('form', { id: 'trigger-form', className: 'trigger-form', novalidate: true,
    'aria-labelledby': 'editor-heading' });
  const testResult = el('div', { id: 'trigger-test-result', role: 'status', tabindex: '-1' });

  // Reads what the form holds back into `model` (before a redraw, a save or a test).
  function read() {
    const value = (name) => form.elements.namedItem(name)?.value ?? '';
    model.name = value('name');
    model.enabled = form.elements.namedItem('enabled').checked;
    model.event = value('event');
    model.conditions.match = value('conditions.match');
    model.conditions.rules.forEach((condition, index) => {
      const path = `conditions.rules[${index}]`;
      const picked = value(`${path}.field`);
      condition.field = picked === CUSTOM_PREFIX ? `${CUSTOM_PREFIX}${value(`${path}.custom`).trim()}` : picked;
      condition.op = value(`${path}.op`);
      condition.text = value(`${path}.value`);
    });
    model.actions.forEach((action, index) => {
      const path = `actions[${index}]`;
      action.type = value(`${path}.type`);
      action.delay_secs = value(`${path}.delay_secs`);
      if (action.type === 'find_or_create') {
        action.object = value(`${path}.object`);
        action.match_field = value(`${path}.match_field`);
      }
      if (action.type === 'add_to_campaign') {
        action.campaign = value(`${path}.campaign`);
        action.status = value(`${path}.status`);
      }
      if (action.fields) {
        action.fields = action.fields.map((_, row) => [
          form.querySelector(`#a${index}-f${row}-name`).value, form.querySelector(`#a${index}-f${row}-value`).value,
        ]);
      }
    });
  }

  // The rule as the API takes it.
  function rule() {
    read();
    const delay = (text) => {
      const number = Number(String(text).trim() || '0');
      return Number.isInteger(number) && number >= 0 ? number : String(text);
    };
    return {
      name: model.name,
      enabled: model.enabled,
      event: model.event,
      conditions: {
        match: model.conditions.match,
        rules: model.conditions.rules.map((condition) => {
          const value = condition.text !== undefined
            ? operandValue(condition.field, condition.op, condition.text) : condition.value;
          return value === undefined ? { field: condition.field, op: condition.op }
            : { field: condition.field, op: condition.op, value };
        }),
      },
      actions: model.actions.map((action) => {
        const fields = Object.fromEntries((action.fields || []).filter(([name, value]) => name.trim() || value.trim())
          .map(([name, value]) => [name.trim(), value]));
        const base = { type: action.type, delay_secs: delay(action.delay_secs ?? 0) };
        switch (action.type) {
          case 'find_or_create':
            return { ...base, object: action.object || '', ...(action.match_field ? { match_field: action.match_field } : {}), fields };
          case 'add_to_campaign':
            return { ...base, campaign: action.campaign ?? '{{campaign}}', status: action.status ?? 'Responded' };
          default:
            return { ...base, fields };
        }
      }),
    };
  }

  function conditionRow(condition, index) {
    const path = `conditions.rules[${index}]`;
    const custom = condition.field.startsWith(CUSTOM_PREFIX);
    const fieldSelect = select([...VARIABLES.map(([name]) => [name, name]), [CUSTOM_PREFIX, 'custom field…']],
      custom ? CUSTOM_PREFIX : condition.field);
    const customInput = textInput(custom ? condition.field.slice(CUSTOM_PREFIX.length) : '', { placeholder: 'name' });
    const op = select(OPERATORS, condition.op);
    const text = condition.text !== undefined ? condition.text : operandText(condition.value);
    const value = textInput(text);
    const customField = control({ id: `c${index}-custom`, name: `${path}.custom`, label: 'Custom field', input: customInput,
      className: 'field-narrow' });
    const valueField = control({ id: `c${index}-value`, name: `${path}.value`, label: 'Value', input: value });
    const sync = () => {
      customField.hidden = fieldSelect.value !== CUSTOM_PREFIX;
      const none = NO_OPERAND.includes(op.value);
      value.disabled = none;
      valueField.classList.toggle('field-off', none);
    };
    fieldSelect.addEventListener('change', sync);
    op.addEventListener('change', sync);
    const row = el('li', { className: 'rule-row', 'data-condition': index },
      control({ id: `c${index}-field`, name: `${path}.field`, label: 'Variable', input: fieldSelect }),
      customField,
      control({ id: `c${index}-op`, name: `${path}.op`, label: 'Test', input: op }),
      valueField,
      el('button', {
        type: 'button', className: 'button-quiet button-small remove', 'aria-label': `Remove condition ${index + 1}`,
        onclick: () => {
          read();
          model.conditions.rules.splice(index, 1);
          draw();
          form.querySelector('#add-condition').focus();
        },
      }, 'Remove'));
    sync();
    return row;
  }

  function fieldRow(actionIndex, [name, value], row) {
    const path = `actions[${actionIndex}]`;
    const valueInput = textInput(value, { placeholder: '{{caller_name|Unknown caller}}' });
    const nameInput = textInput(name, { placeholder: 'LastName' });
    const rename = () => { valueInput.name = `${path}.fields.${nameInput.value.trim()}`; };
    nameInput.addEventListener('input', rename);
    const line = el('li', { className: 'field-row' },
      control({ id: `a${actionIndex}-f${row}-name`, name: `${path}.fieldnames[${row}]`, label: 'Field (API name)',
        input: nameInput, className: 'field-narrow' }),
      control({ id: `a${actionIndex}-f${row}-value`, name: `${path}.fields.${name}`, label: 'Value', input: valueInput }),
      el('button', {
        type: 'button', className: 'button-quiet button-small remove',
        'aria-label': `Remove field ${name || row + 1} of action ${actionIndex + 1}`,
        onclick: () => {
          read();
          model.actions[actionIndex].fields.splice(row, 1);
          draw();
          form.querySelector(`#a${actionIndex}-add-field`).focus();
        },
      }, 'Remove'));
    rename();
    return line;
  }

  function actionCard(action, index) {
    const path = `actions[${index}]`;
    const type = select(ACTIONS, action.type);
    type.addEventListener('change', () => {
      read();
      const changed = model.actions[index];
      // Each kind starts from the fields it usually needs.
      changed.fields = {
        find_or_create: [['LastName', ''], ['Company', '']],
        update_record: [['', '']],
        log_task: [['Subject', '{{call_type}} call from {{caller_number}}']],
      }[changed.type];
      if (!changed.fields) delete changed.fields;
      if (changed.type === 'find_or_create' && !changed.object) changed.object = 'Lead';
      draw();
      form.querySelector(`#a${index}-type`).focus();
    });
    const parts = [];
    if (action.type === 'find_or_create') {
      parts.push(el('div', { className: 'field-line' },
        control({ id: `a${index}-object`, name: `${path}.object`, label: 'Object', input: textInput(action.object ?? 'Lead'),
          hint: 'Its API name: Lead, Contact, Account or a custom object.', className: 'field-narrow' }),
        control({ id: `a${index}-match`, name: `${path}.match_field`, label: 'Match on (optional)',
          input: textInput(action.match_field ?? ''),
          hint: 'A mapped field to search by; empty searches by the caller\'s number.', className: 'field-narrow' })));
    }
    if (action.type === 'add_to_campaign') {
      parts.push(el('div', { className: 'field-line' },
        control({ id: `a${index}-campaign`, name: `${path}.campaign`, label: 'Campaign name',
          input: textInput(action.campaign ?? '{{campaign}}'), hint: 'A template; a blank name skips the action.' }),
        control({ id: `a${index}-status`, name: `${path}.status`, label: 'Member status',
          input: textInput(action.status ?? 'Responded'), className: 'field-narrow' })));
    }
    if (action.fields) {
      parts.push(el('ul', { className: 'field-rows', 'aria-label': `Fields of action ${index + 1}` },
        action.fields.map((pair, row) => fieldRow(index, pair, row))));
      parts.push(namedButton({
        id: `a${index}-add-field`, name: `${path}.fields`, text: 'Add field',
        onclick: () => {
          read();
          model.actions[index].fields.push(['', '']);
          draw();
          form.querySelector(`#a${index}-f${model.actions[index].fields.length - 1}-name`).focus();
        },
      }));
    }
    return el('li', { className: 'action-card', 'data-action': index },
      el('div', { className: 'field-line' },
        el('span', { className: 'action-number', 'aria-hidden': 'true' }, String(index + 1)),
        control({ id: `a${index}-type`, name: `${path}.type`, label: `Action ${index + 1}`, input: type }),
        control({ id: `a${index}-delay`, name: `${path}.delay_secs`, label: 'Wait (seconds)',
          input: textInput(action.delay_secs ?? 0, { inputmode: 'numeric' }), className: 'field-tiny' }),
        el('button', {
          type: 'button', className: 'button-quiet button-small remove', 'aria-label': `Remove action ${index + 1}`,
          onclick: () => {
            read();
            model.actions.splice(index, 1);
            draw();
            form.querySelector('#add-action').focus();
          },
        }, 'Remove')),
      parts);
  }

  function testPanel() {
    if (calls.length === 0) {
      return el('p', { className: 'muted', id: 'no-calls' },
        'There is no call to test against yet: the test uses a call from the call log.');
    }
    const picker = select(calls.map((call) => [call.call_id,
      `${call.call_id} · ${call.caller_number}${call.caller_name ? ` (${call.caller_name})` : ''} · ${dateTime(call.started_at)}`]),
    calls[0].call_id);
    return el('div', { className: 'test-panel' },
      el('div', { className: 'field-line' },
        control({ id: 'test-call', name: 'call_id', label: 'A past call', input: picker }),
        el('button', { type: 'button', className: 'button-quiet', id: 'run-test', onclick: runTest }, 'Test against this call')),
      testResult);
  }

  async function runTest() {
    clearErrors(form);
    let answer;
    const callId = form.elements.namedItem('call_id').value;
    try {
      answer = await api('/api/v1/triggers/test', { method: 'POST', body: { rule: rule(), call_id: callId } });
    } catch (failure) {
      replace(testResult);
      showFailure(form, failure);
      return;
    }
    replace(testResult, testOutcome(answer, callId));
    testResult.focus();
  }

  function draw() {
    const conditions = model.conditions.rules;
    replace(form,
      el('div', { className: 'field-line' },
        control({ id: 'trigger-name', name: 'name', label: 'Name', input: textInput(model.name),
          hint: 'Shown here and in the sync log.' }),
        control({ id: 'trigger-event', name: 'event', label: 'When', input: select(EVENTS, model.event) }),
        el('div', { className: 'field field-check' },
          el('label', { for: 'trigger-enabled' },
            el('input', { type: 'checkbox', id: 'trigger-enabled', name: 'enabled', checked: model.enabled }),
            ' Enabled'))),
      el('fieldset', { className: 'rule-part', id: 'conditions' },
        el('legend', null, 'Conditions'),
        el('div', { className: 'field-line' },
          control({ id: 'conditions-match', name: 'conditions.match', label: 'Run when',
            input: select([['all', 'every condition holds'], ['any', 'any condition holds']], model.conditions.match),
            className: 'field-narrow' })),
        conditions.length === 0
          ? el('p', { className: 'muted' }, 'No conditions: the trigger runs on every occurrence of its event.')
          : el('ol', { className: 'rule-rows' }, conditions.map(conditionRow)),
        el('button', {
          type: 'button', className: 'button-quiet button-small', id: 'add-condition',
          onclick: () => {
            read();
            model.conditions.rules.push({ field: 'duration', op: 'greater_than', text: '' });
            draw();
            form.querySelector(`#c${model.conditions.rules.length - 1}-field`).focus();
          },
        }, 'Add condition')),
      el('fieldset', { className: 'rule-part', id: 'actions' },
        el('legend', null, 'Actions, in order'),
        el('p', { className: 'hint', id: 'template-hint' }, 'Field values are templates over the call: ',
          el('code', null, '{{caller_number}}'), ', or with a fallback when blank: ', el('code', null, '{{caller_name|Unknown caller}}'),
          '. callpop sets the Task\'s call fields itself.'),
        el('details', { className: 'variables' },
          el('summary', null, 'Variables you can use'),
          el('dl', { className: 'facts' }, VARIABLES.flatMap(([name, , description]) => [el('dt', null, el('code', null, name)),
            el('dd', null, description)]),
          el('dt', null, el('code', null, 'custom.<name>')), el('dd', null, 'a custom field from your telephony platform'))),
        el('ol', { className: 'action-cards' }, model.actions.map(actionCard)),
        namedButton({
          id: 'add-action', name: 'actions', text: 'Add action',
          onclick: () => {
            read();
            model.actions.push({ type: 'update_record', fields: [['', '']], delay_secs: 0 });
            draw();
            form.querySelector(`#a${model.actions.length - 1}-type`).focus();
          },
        })),
      el('fieldset', { className: 'rule-part', id: 'test' },
        el('legend', null, 'Test against a past call'),
        el('p', { className: 'hint' }, 'Shows what this rule, as the form has it now, would do for a call from the log. '
          + 'Nothing is saved and nothing is written to Salesforce.'),
        testPanel()),
      el('div', { className: 'form-actions' },
        el('button', { type: 'submit', className: 'button-primary', id: 'save-trigger' }, id ? 'Save changes' : 'Create trigger'),
        el('button', { type: 'button', className: 'button-quiet', id: 'cancel-edit', onclick: onCancel }, 'Cancel')));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = rule();
    let saved;
    try {
      saved = await whileBusy(form, () => api(id ? `/api/v1/triggers/${encodeURIComponent(id)}` : '/api/v1/triggers',
        { method: id ? 'PUT' : 'POST', body }));
    } catch (failure) {
      showFailure(form, failure);
      return;
    }
    await onSaved(saved, !id);
  });

  draw();
  return form;
}

function fieldsList(fields) {
  const names = Object.keys(fields || {});
  if (names.length === 0) return null;
  return el('table', { className: 'fields' },
    el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Field'), el('th', { scope: 'col' }, 'Value'))),
    el('tbody', null, names.map((name) => el('tr', null, el('th', { scope: 'row' }, name), el('td', null, fields[name])))));
}

function plannedAction(planned) {
  const { details } = planned;
  let what = actionName(planned.action);
  if (planned.action === 'find_or_create') {
    what = `Find the caller's ${details.object}${details.match_field ? ` by ${details.match_field}` : ' by phone number'}, `
      + `or create one with:`;
  } else if (planned.action === 'update_record') {
    what = 'Update the call\'s record with:';
  } else if (planned.action === 'log_task') {
    what = 'Log the call as a Task on the call\'s record, with:';
  } else if (planned.action === 'add_to_campaign') {
    what = `Add the call's record to the Campaign “${details.campaign}” with the status “${details.status}”.`;
  }
  return el('li', { 'data-planned': planned.action },
    el('p', null, el('strong', null, what),
      planned.delay_secs > 0 && el('span', { className: 'muted' }, ` After ${planned.delay_secs} seconds.`)),
    fieldsList(details.fields));
}

function testOutcome(answer, callId) {
  const nothingWritten = el('p', { className: 'muted', id: 'nothing-written' },
    'This was a test: nothing was saved and nothing was written to Salesforce.');
  if (!answer.fires) {
    return el('div', { className: 'result', 'data-fires': 'false' },
      el('p', null, el('strong', null, `This rule would not run for ${callId}. `),
        `Its conditions do not hold for this call at “${eventName(answer.event)}”.`),
      nothingWritten);
  }
  return el('div', { className: 'result result-test', 'data-fires': 'true' },
    el('p', null, el('strong', null, `For ${callId}, at “${eventName(answer.event)}”, this rule would:`)),
    el('ol', { className: 'planned' }, answer.actions.map(plannedAction)),
    nothingWritten);
}

function summary(rule) {
  const rules = (rule.conditions && rule.conditions.rules) || [];
  const joiner = rule.conditions && rule.conditions.match === 'any' ? ' or ' : ' and ';
  return el('div', null,
    el('span', { className: 'sub' }, rules.length === 0 ? 'Every time' : `If ${rules.map(describeCondition).join(joiner)}`),
    el('span', { className: 'sub' }, `Then: ${rule.actions.map((action, index) => {
      const name = actionName(action.type);
      return index === 0 ? name : name.charAt(0).toLowerCase() + name.slice(1);
    }).join(', then ')}`));
}

export async function render(main, { me }) {
  const notice = el('div', { id: 'trigger-notice', role: 'status', tabindex: '-1' });
  const editorArea = el('div', { id: 'trigger-editor' });
  const listing = el('div', { id: 'trigger-list' });
  const newButton = el('button', { type: 'button', className: 'button-primary', id: 'new-trigger' }, 'New trigger');
  let triggers = [];
  let calls = [];

  async function loadCalls() {
    try {
      calls = (await api('/api/v1/calls?limit=20')).calls;
    } catch {
      calls = [];
    }
  }

  function said(text, tone) {
    replace(notice, el('p', { className: tone === 'error' ? 'form-error' : 'result result-ok' }, text));
  }

  function closeEditor() {
    replace(editorArea);
    newButton.parentElement.hidden = false;
  }

  async function openEditor(stored) {
    await loadCalls();
    replace(notice);
    const form = editor({
      model: editable(stored ? stored.rule : NEW_RULE),
      id: stored ? stored.id : null,
      calls,
      onCancel: () => {
        closeEditor();
        (stored ? listing.querySelector(`[data-edit="${stored.id}"]`) : newButton)?.focus();
      },
      onSaved: async (saved, created) => {
        closeEditor();
        await refresh();
        said(created ? `Created “${saved.rule.name}”. It runs from the next ${eventName(saved.rule.event).toLowerCase()}.`
          : `Saved “${saved.rule.name}”.`);
        listing.querySelector(`[data-trigger="${saved.id}"] [data-edit]`)?.focus();
      },
    });
    newButton.parentElement.hidden = true;
    replace(editorArea, el('section', { className: 'card editor', 'aria-labelledby': 'editor-heading' },
      el('h2', { id: 'editor-heading' }, stored ? `Edit “${stored.rule.name}”` : 'New trigger'),
      form));
    form.querySelector('#trigger-name').focus();
  }

  async function move(index, by, which) {
    const ids = triggers.map((trigger) => trigger.id);
    const [moved] = ids.splice(index, 1);
    ids.splice(index + by, 0, moved);
    try {
      await api('/api/v1/triggers/order', { method: 'PUT', body: { ids } });
    } catch (failure) {
      said(sentence(failure.message), 'error');
      return;
    }
    await refresh();
    const name = triggers.find((trigger) => trigger.id === moved).rule.name;
    said(`Moved “${name}” to position ${index + by + 1}.`);
    const row = listing.querySelector(`[data-trigger="${moved}"]`);
    const button = row.querySelector(`[data-move="${which}"]:not(:disabled)`) || row.querySelector('[data-move]:not(:disabled)');
    button?.focus();
  }

  async function setEnabled(stored, enabled, input, state) {
    input.disabled = true;
    try {
      await api(`/api/v1/triggers/${encodeURIComponent(stored.id)}`, { method: 'PUT', body: { ...stored.rule, enabled } });
    } catch (failure) {
      input.checked = !enabled;
      input.disabled = false;
      state.textContent = enabled ? 'Off' : 'On';
      said(`“${stored.rule.name}” was not changed: ${sentence(failure.message)}`, 'error');
      return;
    }
    stored.rule.enabled = enabled;
    input.disabled = false;
    said(`“${stored.rule.name}” is ${enabled ? 'enabled' : 'disabled'}.`);
  }

  function row(stored, index) {
    const { rule } = stored;
    const actions = el('td', { className: 'actions' });
    const toggle = el('input', {
      type: 'checkbox', role: 'switch', className: 'switch', id: `enabled-${stored.id}`, checked: rule.enabled,
      'data-toggle': stored.id,
    });
    const state = el('span', { className: 'switch-state' }, rule.enabled ? 'On' : 'Off');
    toggle.addEventListener('change', () => {
      state.textContent = toggle.checked ? 'On' : 'Off';
      setEnabled(stored, toggle.checked, toggle, state);
    });
    const restore = () => replace(actions,
      el('button', {
        type: 'button', className: 'button-quiet', 'data-move': 'up', 'aria-label': `Move “${rule.name}” up`,
        disabled: index === 0, onclick: () => move(index, -1, 'up'),
      }, '↑ Up'),
      el('button', {
        type: 'button', className: 'button-quiet', 'data-move': 'down', 'aria-label': `Move “${rule.name}” down`,
        disabled: index === triggers.length - 1, onclick: () => move(index, 1, 'down'),
      }, '↓ Down'),
      el('button', {
        type: 'button', className: 'button-quiet', 'data-edit': stored.id, 'aria-label': `Edit “${rule.name}”`,
        onclick: () => openEditor(stored),
      }, 'Edit'),
      el('button', {
        type: 'button', className: 'button-quiet', 'data-delete': stored.id, 'aria-label': `Delete “${rule.name}”`,
        onclick: ask,
      }, 'Delete'));
    const ask = () => {
      replace(actions,
        el('span', { className: 'confirm-text' }, `Delete “${rule.name}”? It stops running at once. `),
        el('button', {
          type: 'button', className: 'button-danger', 'data-confirm-delete': stored.id, onclick: () => remove(stored, actions),
        }, 'Delete trigger'),
        el('button', { type: 'button', className: 'button-quiet', onclick: () => {
          restore();
          actions.querySelector('[data-delete]').focus();
        } }, 'Cancel'));
      actions.querySelector('[data-confirm-delete]').focus();
    };
    restore();
    return el('tr', { 'data-trigger': stored.id },
      el('td', { className: 'position' }, String(index + 1)),
      el('th', { scope: 'row' }, el('span', { className: 'trigger-name' }, rule.name), summary(rule)),
      el('td', null, eventName(rule.event)),
      el('td', null, el('span', { className: 'switch-wrap' }, toggle,
        el('label', { for: `enabled-${stored.id}`, className: 'switch-label' },
          el('span', { className: 'visually-hidden' }, `${rule.name} enabled: `), state))),
      actions);
  }

  async function remove(stored, actions) {
    try {
      await api(`/api/v1/triggers/${encodeURIComponent(stored.id)}`, { method: 'DELETE' });
    } catch (failure) {
      replace(actions, el('span', { className: 'field-error' }, sentence(failure.message)));
      return;
    }
    await refresh();
    said(`Deleted “${stored.rule.name}”.`);
    notice.focus();
  }

  async function refresh() {
    ({ triggers } = await api('/api/v1/triggers'));
    if (triggers.length === 0) {
      replace(listing, el('div', { className: 'empty-state', id: 'no-triggers' },
        el('p', null, el('strong', null, 'No triggers yet.')),
        el('p', { className: 'muted' }, 'With legacy mode off, callpop writes to Salesforce only what triggers say. '
          + 'Start with one that logs every ended call as a Task.')));
      return;
    }
    replace(listing, el('div', { className: 'table-wrap' }, el('table', { className: 'log', id: 'triggers' },
      el('caption', { className: 'visually-hidden' }, 'Triggers, in the order they run'),
      el('thead', null, el('tr', null, ['#', 'Trigger', 'When', 'Enabled', 'Actions'].map((heading) =>
        el('th', { scope: 'col' }, heading)))),
      el('tbody', null, triggers.map(row)))));
  }

  newButton.addEventListener('click', () => openEditor(null));
  let legacy = null;
  if (me.may.includes('read_integration_options')) {
    try {
      legacy = (await api('/api/v1/settings/salesforce')).legacy_mode;
    } catch {
      legacy = null;
    }
  }
  await refresh();
  replace(main,
    pageHead('Triggers',
      'What callpop writes into Salesforce for each call and text: each trigger names an event, conditions on the '
      + 'call, and actions. Triggers run in the order listed; within a trigger, actions run in order.'),
    legacy && el('p', { className: 'note', id: 'legacy-note' },
      'Legacy mode is on, so callpop follows its fixed legacy rules and these triggers do not run. Turn it off in ',
      el('a', { href: consoleHref('options') }, 'Integration options'), ' to use them.'),
    el('div', { className: 'form-actions page-actions' }, newButton),
    notice,
    editorArea,
    el('section', { className: 'card', 'aria-labelledby': 'list-heading' },
      el('h2', { id: 'list-heading' }, 'Triggers, in order'),
      listing),
    el('p', { className: 'muted page-foot' },
      'Changes apply to the next event. Test a rule against a past call before you enable it.'));
}
