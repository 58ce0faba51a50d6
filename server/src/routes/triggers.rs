//! The account's triggers (administrators): list, create, change, reorder, delete, and test one against a past
//! call without writing anything. A rule is validated on save by `callpop_core::triggers::validate`; every problem
//! comes back in one 422 naming its path (`actions[0].fields.LastName`), the first also as the error's `field`.

use crate::auth::{SignedIn, require_admin_with_salesforce};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::model::Session;
use crate::state::AppState;
use crate::store::connections::StoredTrigger;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use callpop_core::account::AdminTask;
use callpop_core::triggers::{PlannedAction, Step, Trigger, TriggerEvent, evaluate, validate};
use callpop_core::wire::ApiErrorBody;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_triggers, create_trigger))
        .routes(routes!(replace_trigger, delete_trigger))
        .routes(routes!(reorder_triggers))
        .routes(routes!(test_trigger))
}

/// A trigger as the API shows it: its id and place, and the rule (`callpop_core::triggers::Trigger` as JSON).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TriggerView {
    id: i64,
    position: i64,
    #[schema(value_type = Object)]
    rule: Value,
    updated_at: DateTime<Utc>,
}

impl From<StoredTrigger> for TriggerView {
    fn from(stored: StoredTrigger) -> Self {
        Self { id: stored.id, position: stored.position, rule: json!(stored.rule), updated_at: stored.updated_at }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TriggerList {
    triggers: Vec<TriggerView>,
}

fn require(session: &Session) -> ApiResult<()> {
    require_admin_with_salesforce(session, AdminTask::ManageTriggers)
}

/// Parses and validates a rule; a 422 lists every problem with its path.
fn checked_rule(rule: &Value) -> Result<Trigger, Box<Response>> {
    let trigger: Trigger =
        crate::extract::parse_json(rule.to_string().as_bytes()).map_err(|error| Box::new(error.into_response()))?;
    match validate(&trigger) {
        Ok(()) => Ok(trigger),
        Err(problems) => {
            let first = problems.first();
            let body = json!({
                "error": "invalid_trigger",
                "message": first.map_or_else(|| "the trigger is not valid".to_owned(), |problem| problem.message.clone()),
                "field": first.map(|problem| problem.path.clone()),
                "problems": problems.iter().map(|problem| json!({"path": problem.path, "message": problem.message})).collect::<Vec<_>>(),
            });
            Err(Box::new((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()))
        }
    }
}

/// The account's triggers, in the order they are evaluated.
#[utoipa::path(get, path = "/triggers", tag = "triggers", security(("session" = [])),
    responses((status = 200, body = TriggerList), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn list_triggers(State(state): State<AppState>, SignedIn(session): SignedIn) -> ApiResult<Json<TriggerList>> {
    require(&session)?;
    let triggers = state.store.triggers(session.account.id).await?.into_iter().map(TriggerView::from).collect();
    Ok(Json(TriggerList { triggers }))
}

/// Adds a trigger after the others.
#[utoipa::path(post, path = "/triggers", tag = "triggers", request_body = Trigger,
    security(("session" = [])),
    responses((status = 201, body = TriggerView), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn create_trigger(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(rule): JsonBody<Value>,
) -> ApiResult<Response> {
    require(&session)?;
    let rule = match checked_rule(&rule) {
        Ok(rule) => rule,
        Err(refusal) => return Ok(*refusal),
    };
    let stored = state.store.create_trigger(session.account.id, &rule, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(TriggerView::from(stored))).into_response())
}

/// Replaces a trigger's rule.
#[utoipa::path(put, path = "/triggers/{id}", tag = "triggers", request_body = Trigger,
    params(("id" = i64, Path, description = "The trigger's id")), security(("session" = [])),
    responses((status = 200, body = TriggerView), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn replace_trigger(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(id): PathParam<i64>,
    JsonBody(rule): JsonBody<Value>,
) -> ApiResult<Response> {
    require(&session)?;
    let rule = match checked_rule(&rule) {
        Ok(rule) => rule,
        Err(refusal) => return Ok(*refusal),
    };
    let stored = state
        .store
        .update_trigger(session.account.id, id, &rule, Utc::now())
        .await?
        .ok_or(ApiError::NotFound("trigger"))?;
    Ok(Json(TriggerView::from(stored)).into_response())
}

/// Deletes a trigger.
#[utoipa::path(delete, path = "/triggers/{id}", tag = "triggers", security(("session" = [])),
    params(("id" = i64, Path, description = "The trigger's id")),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn delete_trigger(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(id): PathParam<i64>,
) -> ApiResult<StatusCode> {
    require(&session)?;
    if state.store.delete_trigger(session.account.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("trigger"))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TriggerOrder {
    /// Every trigger id of the account, in the new order.
    ids: Vec<i64>,
}

/// Puts the triggers in a new order.
#[utoipa::path(put, path = "/triggers/order", tag = "triggers", request_body = TriggerOrder, security(("session" = [])),
    responses((status = 204, description = "reordered"), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 409, description = "`ids` is not the account's triggers now, each once", body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn reorder_triggers(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(order): JsonBody<TriggerOrder>,
) -> ApiResult<StatusCode> {
    require(&session)?;
    if state.store.reorder_triggers(session.account.id, &order.ids, Utc::now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        // Well-formed, but not the triggers the account has now (another administrator may have added or deleted one
        // since the list was read): a conflict with the current state, like a stale edit.
        Err(ApiError::Conflict {
            code: "stale_trigger_order",
            message: "`ids` must list every trigger of the account exactly once: reload the list and try again"
                .to_owned(),
        })
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TriggerTest {
    /// The rule to try (saved or not).
    #[schema(value_type = Trigger)]
    rule: Value,
    /// A past call's id, as the telephony side named it.
    call_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TriggerTestResult {
    /// Whether the rule would fire for that call at its event.
    fires: bool,
    /// The event the rule listens to.
    event: String,
    /// What it would do, with its templates filled in from the call; nothing was written.
    #[schema(value_type = Vec<Object>)]
    actions: Vec<Value>,
}

fn describe_step(planned: &PlannedAction) -> Value {
    let (action, details) = match &planned.step {
        Step::FindOrCreate { object, match_field, fields } => {
            ("find_or_create", json!({"object": object, "match_field": match_field, "fields": fields_map(fields)}))
        }
        Step::UpdateRecord { fields } => ("update_record", json!({"fields": fields_map(fields)})),
        Step::LogTask { fields } => ("log_task", json!({"fields": fields_map(fields)})),
        Step::AddToCampaign { campaign, status } => {
            ("add_to_campaign", json!({"campaign": campaign, "status": status}))
        }
    };
    json!({"action": action, "delay_secs": planned.delay_secs, "details": details})
}

fn fields_map(fields: &[(String, String)]) -> Value {
    Value::Object(fields.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect())
}

/// Shows what a rule would do for a past call, without writing anything to Salesforce.
#[utoipa::path(post, path = "/triggers/test", tag = "triggers", request_body = TriggerTest, security(("session" = [])),
    responses((status = 200, body = TriggerTestResult), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn test_trigger(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(test): JsonBody<TriggerTest>,
) -> ApiResult<Response> {
    require(&session)?;
    let mut rule = match checked_rule(&test.rule) {
        Ok(rule) => rule,
        Err(refusal) => return Ok(*refusal),
    };
    rule.enabled = true; // Testing a disabled rule shows what it would do once enabled.
    let call =
        state.store.call_by_call_id(session.account.id, &test.call_id).await?.ok_or(ApiError::NotFound("call"))?;
    let options = state.store.integration_options(session.account.id).await?.unwrap_or(session.account.options);
    let facts = crate::sync::facts::facts_for_call(state.store.as_ref(), session.account.id, &options, &call).await?;
    let event: TriggerEvent = rule.event;
    let planned = evaluate(std::slice::from_ref(&rule), event, &facts);
    let result = TriggerTestResult {
        fires: !planned.is_empty(),
        event: event.as_str().to_owned(),
        actions: planned.iter().map(describe_step).collect(),
    };
    Ok(Json(result).into_response())
}

#[cfg(test)]
mod console_vocabulary {
    //! The console labels the trigger form from its own copy of core's vocabulary (`triggers-text.js`): these tests
    //! keep the copy whole, so a variable, event, operator or action added to core cannot go missing from the form.

    use callpop_core::triggers::{Action, Operator, TriggerEvent, VARIABLES};

    const CONSOLE_VOCABULARY: &str = include_str!("../../../static/console/triggers-text.js");

    /// The first quoted string of each row of `export const <list> = [ ['name', …], … ];`.
    fn listed(list: &str) -> Vec<&'static str> {
        let start = format!("export const {list} = [");
        let body = CONSOLE_VOCABULARY.split(start.as_str()).nth(1).expect("the list is in triggers-text.js");
        let body = body.split("\n];").next().unwrap_or_default();
        body.lines().filter_map(|line| line.trim().strip_prefix("['")?.split('\'').next()).collect()
    }

    #[test]
    fn the_console_lists_every_event_and_variable_in_cores_order() {
        let events: Vec<&str> = TriggerEvent::ALL.iter().map(|event| event.as_str()).collect();
        assert_eq!(listed("EVENTS"), events);
        let variables: Vec<&str> = VARIABLES.iter().map(|variable| variable.name).collect();
        assert_eq!(listed("VARIABLES"), variables);
    }

    #[test]
    fn the_console_lists_every_operator_and_action_core_accepts() {
        for operator in Operator::ALL {
            // A new operator stops this match from compiling: add it to `Operator::ALL` and to the console.
            match operator {
                Operator::Equals
                | Operator::NotEquals
                | Operator::Contains
                | Operator::NotContains
                | Operator::StartsWith
                | Operator::InList
                | Operator::NotInList
                | Operator::GreaterThan
                | Operator::LessThan
                | Operator::IsSet
                | Operator::IsBlank => {}
            }
        }
        let operators: Vec<&str> = Operator::ALL.iter().map(|operator| operator.as_str()).collect();
        assert_eq!(listed("OPERATORS"), operators);

        let action = |kind: &str| serde_json::json!({ "type": kind, "object": "Lead", "fields": {}, "campaign": "c" });
        let every_action = ["find_or_create", "update_record", "log_task", "add_to_campaign"];
        for kind in every_action {
            // Core refuses fields a kind does not have, so "unknown variant" is the only error that matters here.
            if let Err(error) = serde_json::from_value::<Action>(action(kind)) {
                assert!(!error.to_string().contains("unknown variant"), "core has no action {kind}: {error}");
            }
        }
        let unknown = serde_json::from_value::<Action>(action("send_fax")).expect_err("core has no such action");
        assert!(unknown.to_string().contains("unknown variant"), "{unknown}");
        assert_eq!(listed("ACTIONS"), every_action);
    }
}
