//! Dates against the local org: a Task's `ActivityDate` is the call's (or text's) day in the org's default time zone
//! (`Organization.TimeZoneSidKey`), read when the org is linked and again by the preflight check.

use crate::org::{Linked, org_test};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use serde_json::{Value, json};

/// A day three days ago in Los Angeles, and 23:30 on it there (07:30 or 06:30 UTC the next day).
fn late_evening_in_los_angeles() -> (NaiveDate, DateTime<Utc>) {
    let day = Utc::now().with_timezone(&Los_Angeles).date_naive() - Days::new(3);
    let late = day.and_hms_opt(23, 30, 0).expect("a valid time");
    (day, Los_Angeles.from_local_datetime(&late).single().expect("23:30 is never skipped nor repeated").to_utc())
}

/// A call rings at `at`, then a text arrives at `at`.
async fn call_and_text_at(linked: &Linked, call_id: &str, message_id: &str, at: DateTime<Utc>) {
    linked.event(call_id, "ringing", 0, &json!({ "occurred_at": at.to_rfc3339() })).await;
    let mut text = crate::helpers::text_event(message_id, &linked.acme.agent.email, 0);
    text["occurred_at"] = Value::from(at.to_rfc3339());
    let response = linked.app.post_json(Some(&linked.acme.api_key), "/api/v1/text-events", &text).await;
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
    linked.settle().await;
}

/// The `time_zone` finding of the preflight check.
async fn preflight_time_zone(linked: &Linked) -> Value {
    let (_, report) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/preflight").await;
    let checks = report["checks"].as_array().cloned().unwrap_or_default();
    checks
        .into_iter()
        .find(|check| check["id"] == "time_zone")
        .unwrap_or_else(|| panic!("no time zone finding: {report}"))
}

org_test! {
    async fn a_late_evening_call_and_text_in_los_angeles_are_dated_that_day(linked: Linked) {
        // Arrange: the org's default time zone is Los Angeles (the local org's default, like a Californian org's).
        assert_eq!(linked.org.settings().time_zone, "America/Los_Angeles");
        let (day, late) = late_evening_in_los_angeles();
        assert_ne!(late.date_naive(), day, "in UTC it is already the next day");

        // Act
        call_and_text_at(&linked, "CA-LATE", "SM-LATE", late).await;

        // Assert: the admin sees both logged on the day they happened in the org's zone.
        let day = day.to_string();
        assert_eq!(linked.the_task_of("CA-LATE").text("ActivityDate"), Some(day.as_str()));
        assert_eq!(linked.the_task_of("text:SM-LATE").text("ActivityDate"), Some(day.as_str()));
        let (_, connection) = linked.app.get_json(&linked.acme.admin, "/api/v1/salesforce/connection").await;
        assert_eq!(connection["time_zone"], "America/Los_Angeles", "{connection}");
        assert_eq!(preflight_time_zone(&linked).await["status"], "ok");
    }
}

org_test! {
    unlinked async fn an_unknown_time_zone_dates_in_utc_until_the_preflight_check_reads_it(linked: Linked) {
        // Arrange: linked while the org's zone is one callpop does not know.
        linked.org.update_settings(|settings| settings.time_zone = "Mars/Olympus_Mons".to_owned());
        linked.link().await;
        let (day, late) = late_evening_in_los_angeles();

        // Act: a call before the preflight check, then the check after the admin set a named zone, then a call.
        call_and_text_at(&linked, "CA-BEFORE", "SM-BEFORE", late).await;
        let unknown = preflight_time_zone(&linked).await;
        linked.org.update_settings(|settings| settings.time_zone = "America/Los_Angeles".to_owned());
        let known = preflight_time_zone(&linked).await;
        call_and_text_at(&linked, "CA-AFTER", "SM-AFTER", late + chrono::Duration::minutes(1)).await;

        // Assert: UTC dates while the zone was unknown, and the check said so; the org's zone after the check.
        let utc_day = late.date_naive().to_string();
        assert_eq!(linked.the_task_of("CA-BEFORE").text("ActivityDate"), Some(utc_day.as_str()));
        assert_eq!(linked.the_task_of("text:SM-BEFORE").text("ActivityDate"), Some(utc_day.as_str()));
        assert_eq!(unknown["status"], "warning", "{unknown}");
        assert!(unknown["detail"].as_str().is_some_and(|detail| detail.contains("UTC")), "{unknown}");
        assert_eq!(known["status"], "ok", "{known}");
        let day = day.to_string();
        assert_eq!(linked.the_task_of("CA-AFTER").text("ActivityDate"), Some(day.as_str()));
        assert_eq!(linked.the_task_of("text:SM-AFTER").text("ActivityDate"), Some(day.as_str()));
    }
}
