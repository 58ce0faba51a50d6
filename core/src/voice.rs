//! Salesforce Voice with Partner Telephony (issue 15): which softphone host an account uses, what makes its
//! voice settings valid, what each of a call's events writes to the call's `VoiceCall` (`voice_call_plan`), and
//! what the connector does about the caller's record once the agent accepts a call (`voice_pop`, the Open CTI
//! softphone's decision table read for Salesforce Voice).
//! The server stores the settings, signs the Telephony Integration requests and carries out the plan; the
//! decisions live here.

use crate::call::{CallState, Direction};
use crate::open_cti::Ui;
use crate::options::IntegrationOptions;
use crate::record::{RecordId, RecordMatch};
use crate::screen_pop::{ActivityPlan, Caller, Found, decide};
use serde::{Deserialize, Serialize};

/// Which Salesforce host the account's agents take calls in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoiceHost {
    /// The Open CTI softphone in the utility bar (callpop's Wasm adapter); the default.
    #[default]
    OpenCti,
    /// Salesforce Voice's Omni-Channel softphone, fed by Partner Telephony.
    SalesforceVoice,
    /// Both at once, while an org moves from Open CTI to Salesforce Voice.
    Both,
}

impl VoiceHost {
    /// The stored and wire name (`open_cti`, `salesforce_voice`, `both`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenCti => "open_cti",
            Self::SalesforceVoice => "salesforce_voice",
            Self::Both => "both",
        }
    }

    /// The host named `name`, as `as_str` spells it.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::OpenCti, Self::SalesforceVoice, Self::Both].into_iter().find(|host| host.as_str() == name)
    }

    /// Whether calls go to Salesforce Voice, so the contact center and the Telephony Integration URL are needed.
    pub fn uses_salesforce_voice(self) -> bool {
        matches!(self, Self::SalesforceVoice | Self::Both)
    }
}

/// The account's Salesforce Voice settings, as the administrator sets them (`PUT /api/v1/settings/voice`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VoiceSettings {
    /// Which host the agents take calls in.
    pub host: VoiceHost,
    /// The contact center's API name (its `InternalName`), the `sub` of every Telephony Integration token.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z](_?[A-Za-z0-9])*$", max_length = 80))]
    pub contact_center_api_name: Option<String>,
    /// The Telephony Integration REST API's base URL, in production
    /// `https://{MyDomain}.my.salesforce-scrt.com/telephony/v1`: HTTPS, or HTTP on loopback only.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^(https://([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|http://(127\.0\.0\.1|localhost))(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~-]*)*$"
        )
    )]
    pub telephony_base_url: Option<String>,
}

/// A setting refused: the field it names and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidVoiceSetting {
    pub field: &'static str,
    pub message: String,
}

impl VoiceSettings {
    /// Checks what core can decide: the API name's form, and that a host using Salesforce Voice has both the
    /// contact center and the base URL (the URL's own form is the server's to check, with its URL parser).
    /// Open CTI accounts may fill them in ahead of the switch, or leave them empty.
    pub fn check(&self) -> Result<(), InvalidVoiceSetting> {
        if let Some(name) = self.contact_center_api_name.as_deref().filter(|name| !is_api_name(name)) {
            return Err(InvalidVoiceSetting {
                field: "contact_center_api_name",
                message: format!(
                    "{name:?} is not a contact center API name: a letter, then letters, digits and single \
                     underscores, at most {MAX_API_NAME_LEN} characters"
                ),
            });
        }
        if self.host.uses_salesforce_voice() {
            for (field, value) in [
                ("contact_center_api_name", &self.contact_center_api_name),
                ("telephony_base_url", &self.telephony_base_url),
            ] {
                if value.is_none() {
                    return Err(InvalidVoiceSetting {
                        field,
                        message: format!("`{field}` is required when the host is {}", self.host.as_str()),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The developer name of callpop's `ConversationVendorInfo` (the `salesforce/` project deploys it), which a contact
/// center names as its vendor (`reqVendorInfoApiName`).
pub const VENDOR_INFO_API_NAME: &str = "callpop";

/// The VoiceCall custom field that holds the call's disposition (the telephony side's, or the agent's), written
/// through the Telephony Integration API's `callAttributes`. VoiceCall's own `CallDisposition` is the call's
/// status (`new`, `in-progress`, `completed`), which Salesforce sets itself, so callpop never writes it.
pub const DISPOSITION_FIELD: &str = "Callpop_Disposition__c";

/// What one of a call's events writes to the call's VoiceCall, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceCallPlan {
    /// Create the VoiceCall first (`POST /voiceCalls`, keyed by the call id, so a repeat finds the same record):
    /// the call has none that callpop knows of.
    pub create: bool,
    /// What the Telephony Integration update (`PATCH /voiceCalls/{id}`) says about the call, if anything.
    pub mark: Option<VoiceCallMark>,
    /// Link the VoiceCall to the call's Task (`ActivityId`) and the caller's record (`RelatedRecordId`), as far as
    /// the Task side has named them once it has nothing in flight: when the agent answers (so the VoiceCall's page
    /// shows the caller's record during the call) and again at the end (when nothing more will change them).
    pub link: bool,
}

/// What an update says about the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceCallMark {
    /// The agent took the call: its accept time, still in progress.
    Accepted,
    /// The call is over: its end time, the recording's location when there is one, and the disposition.
    Ended,
}

/// What a call's `event` writes to its VoiceCall, when `has_voice_call` says whether callpop already holds the
/// VoiceCall's id. `None`: nothing, because the Telephony Integration API creates only inbound and transferred
/// calls ("Outbound calls aren't supported"); an outbound call's VoiceCall is Salesforce's own, made when the
/// agent dials from the Omni-Channel softphone. An event that comes before the account moved to Salesforce Voice
/// wrote nothing, so the first event after the move creates the VoiceCall: a call that spans the switch still gets
/// exactly one. `now` is the call's state as the server holds it after every event so far: an answer that arrives
/// after the call's end (events of one call can come out of order) must not make an ended VoiceCall active again,
/// so it only links.
pub fn voice_call_plan(
    direction: Direction,
    event: CallState,
    now: CallState,
    has_voice_call: bool,
) -> Option<VoiceCallPlan> {
    if direction == Direction::Outbound {
        return None;
    }
    let (mark, link) = match event {
        CallState::Ringing => (None, false),
        CallState::Answered if now == CallState::Completed => (None, true),
        CallState::Answered => (Some(VoiceCallMark::Accepted), true),
        CallState::Completed => (Some(VoiceCallMark::Ended), true),
    };
    Some(VoiceCallPlan { create: !has_voice_call, mark, link })
}

/// What the connector does about the caller's record once the agent accepted a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoicePopPlan {
    /// One record matched: the connector appends the call to it (`chosen_by` `single_match`).
    Append,
    /// Several matched and the multi-match dialog is on: the connector asks the agent, and appends the call to
    /// the record they pick (`agent_choice`).
    AskAgent,
    /// Nothing for the connector: legacy mode names the record on the server, or nobody matched (the server's
    /// triggers or its rule for calls nobody logged decide), or the dialog is off.
    LeaveToServer,
}

/// A record the connector shows or appends to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoiceMatch {
    pub id: String,
    /// The object's API name (`Contact`, `Lead`).
    pub object: String,
    pub name: String,
}

/// `GET /api/v1/agent/calls/{call_id}/matches`: what the connector does about the caller's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoicePop {
    pub plan: VoicePopPlan,
    /// `append`: the one record. `ask_agent`: the records in the dialog's order, the one an agent picked last time
    /// for this number first, then the newest. `leave_to_server`: none.
    pub matches: Vec<VoiceMatch>,
    /// `ask_agent`: the id of the record picked last time, when it is among the matches.
    pub remembered: Option<String>,
}

/// Whether the connector's call needs callpop's server to search the org for the caller: not in legacy mode, where
/// the server names the record itself. Under Open CTI the softphone searches through Salesforce's page; a
/// Salesforce Voice connector cannot query the org, so the server searches for it.
pub fn voice_pop_searches(options: &IntegrationOptions) -> bool {
    !options.legacy_mode
}

/// What the connector does for an accepted inbound call whose caller's number matched `found`, when an agent last
/// picked `remembered` for this number. The same decision as the Open CTI softphone's (`screen_pop::decide`, in
/// Lightning: Salesforce Voice is Lightning only), with what only a Salesforce page can do (a new-record form, a
/// search page) left to the server.
pub fn voice_pop(
    options: &IntegrationOptions,
    number: &str,
    remembered: Option<&RecordId>,
    found: &[RecordMatch],
) -> VoicePop {
    let leave = VoicePop { plan: VoicePopPlan::LeaveToServer, matches: Vec::new(), remembered: None };
    if !voice_pop_searches(options) {
        return leave;
    }
    let view = |record: &RecordMatch| VoiceMatch {
        id: record.id.as_str().to_owned(),
        object: record.object.clone(),
        name: record.name.clone(),
    };
    let caller = Caller { number, name: None, source: None, remembered };
    match decide(Ui::Lightning, options, Direction::Inbound, caller, Found::Matches(found)).activity {
        ActivityPlan::Append { record, .. } => VoicePop {
            plan: VoicePopPlan::Append,
            matches: found.iter().filter(|each| each.id == record).map(view).collect(),
            remembered: None,
        },
        ActivityPlan::AskAgent { matches, remembered } => VoicePop {
            plan: VoicePopPlan::AskAgent,
            matches: matches.iter().map(view).collect(),
            remembered: remembered.map(|id| id.as_str().to_owned()),
        },
        ActivityPlan::AfterSave | ActivityPlan::AfterCreate | ActivityPlan::LeaveToServer => leave,
    }
}

/// The longest contact center API name Salesforce accepts (a developer name: 80 characters).
pub const MAX_API_NAME_LEN: usize = 80;

/// Whether `name` is a Salesforce developer name: a letter first, then letters, digits and single underscores,
/// no underscore at the end, at most [`MAX_API_NAME_LEN`] characters.
pub fn is_api_name(name: &str) -> bool {
    let mut characters = name.chars();
    let starts_with_letter = characters.next().is_some_and(|first| first.is_ascii_alphabetic());
    starts_with_letter
        && name.len() <= MAX_API_NAME_LEN
        && name.chars().all(|character| character.is_ascii_alphanumeric() || character == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_round_trip_through_their_names_and_default_to_open_cti() {
        for host in [VoiceHost::OpenCti, VoiceHost::SalesforceVoice, VoiceHost::Both] {
            assert_eq!(VoiceHost::parse(host.as_str()), Some(host));
            assert_eq!(serde_json::to_value(host).unwrap(), serde_json::json!(host.as_str()));
        }
        assert_eq!(VoiceHost::default(), VoiceHost::OpenCti);
        assert_eq!(VoiceHost::parse("voice"), None);
        assert!(!VoiceHost::OpenCti.uses_salesforce_voice());
        assert!(VoiceHost::Both.uses_salesforce_voice());
    }

    #[test]
    fn salesforce_voice_needs_its_contact_center_and_url_and_open_cti_does_not() {
        let mut settings = VoiceSettings { host: VoiceHost::Both, ..VoiceSettings::default() };
        assert_eq!(settings.check().unwrap_err().field, "contact_center_api_name");
        settings.contact_center_api_name = Some("Acme_CC".to_owned());
        assert_eq!(settings.check().unwrap_err().field, "telephony_base_url");
        settings.telephony_base_url = Some("https://acme.my.salesforce-scrt.com/telephony/v1".to_owned());
        assert_eq!(settings.check(), Ok(()));
        assert_eq!(VoiceSettings::default().check(), Ok(()));
        let bad_name =
            VoiceSettings { contact_center_api_name: Some("no spaces".to_owned()), ..VoiceSettings::default() };
        assert_eq!(bad_name.check().unwrap_err().field, "contact_center_api_name");
    }

    #[test]
    fn each_event_creates_the_voice_call_if_needed_then_marks_it_and_the_answer_and_the_end_link_it() {
        use CallState::{Answered, Completed, Ringing};
        let plan = |direction, event, has| voice_call_plan(direction, event, event, has);
        let accepted = Some(VoiceCallMark::Accepted);
        let ended = Some(VoiceCallMark::Ended);
        for (event, has, expected) in [
            (Ringing, false, VoiceCallPlan { create: true, mark: None, link: false }),
            (Ringing, true, VoiceCallPlan { create: false, mark: None, link: false }),
            (Answered, true, VoiceCallPlan { create: false, mark: accepted, link: true }),
            // The account moved to Salesforce Voice while the call rang: the answer creates it.
            (Answered, false, VoiceCallPlan { create: true, mark: accepted, link: true }),
            (Completed, true, VoiceCallPlan { create: false, mark: ended, link: true }),
            (Completed, false, VoiceCallPlan { create: true, mark: ended, link: true }),
        ] {
            assert_eq!(plan(Direction::Inbound, event, has), Some(expected), "{event:?} {has}");
            assert_eq!(plan(Direction::Outbound, event, has), None, "{event:?} {has}");
        }
        // An answer that arrives after the end leaves the ended VoiceCall ended.
        let late = voice_call_plan(Direction::Inbound, Answered, Completed, true);
        assert_eq!(late, Some(VoiceCallPlan { create: false, mark: None, link: true }));
    }

    #[test]
    fn api_names_follow_salesforce_developer_names() {
        for good in ["callpopContactCenter", "Acme_CC", "A1"] {
            assert!(is_api_name(good), "{good}");
        }
        for bad in ["", "1acme", "_acme", "acme_", "ac__me", "ac me", "acmé", &"a".repeat(81)] {
            assert!(!is_api_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_connector_appends_a_single_match_asks_about_several_and_leaves_the_rest_to_the_server() {
        let record = |id: &str, object: &str, name: &str, modified: &str| RecordMatch {
            id: RecordId::parse(id).unwrap(),
            object: object.to_owned(),
            name: name.to_owned(),
            phone: None,
            detail: None,
            last_modified: Some(modified.to_owned()),
        };
        let ada = record("003000000000001", "Contact", "Ada Lovelace", "2026-01-01T00:00:00Z");
        let lead = record("00Q000000000001", "Lead", "Ada Byron", "2026-03-01T00:00:00Z");
        let older_lead = record("00Q000000000002", "Lead", "A. Lovelace", "2025-01-01T00:00:00Z");
        let options = IntegrationOptions { legacy_mode: false, ..IntegrationOptions::default() };
        let names = |pop: &VoicePop| pop.matches.iter().map(|each| each.name.clone()).collect::<Vec<_>>();

        let one = voice_pop(&options, "(415) 555-2671", None, std::slice::from_ref(&ada));
        assert_eq!((one.plan, names(&one)), (VoicePopPlan::Append, vec!["Ada Lovelace".to_owned()]));

        // Several: newest first, the one picked last time before them all.
        let several = [ada, lead, older_lead.clone()];
        let asked = voice_pop(&options, "(415) 555-2671", None, &several);
        assert_eq!(asked.plan, VoicePopPlan::AskAgent);
        assert_eq!(names(&asked), ["Ada Byron", "Ada Lovelace", "A. Lovelace"]);
        let remembered = voice_pop(&options, "(415) 555-2671", Some(&older_lead.id), &several);
        assert_eq!(names(&remembered), ["A. Lovelace", "Ada Byron", "Ada Lovelace"]);
        assert_eq!(remembered.remembered.as_deref(), Some(older_lead.id.as_str()));

        // Nobody, the dialog off, or legacy mode (the server names the record): the server decides.
        let none = voice_pop(&options, "(415) 555-2671", None, &[]);
        assert_eq!((none.plan, none.matches.len()), (VoicePopPlan::LeaveToServer, 0));
        let no_dialog = IntegrationOptions { multi_match_dialog: false, ..options };
        assert_eq!(voice_pop(&no_dialog, "(415) 555-2671", None, &several).plan, VoicePopPlan::LeaveToServer);
        let legacy = IntegrationOptions { legacy_mode: true, ..options };
        assert!(!voice_pop_searches(&legacy) && voice_pop_searches(&options));
        assert_eq!(voice_pop(&legacy, "(415) 555-2671", None, &several).plan, VoicePopPlan::LeaveToServer);
    }
}
