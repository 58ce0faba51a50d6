//! The day a call or text is logged on: a Task's `ActivityDate` is a date without a time, and a Salesforce admin
//! reads it as a day on the org's calendar. So the day is the moment's date in the org's default time zone
//! (Salesforce's `Organization.TimeZoneSidKey`, an IANA name such as `America/Los_Angeles`): a call at 23:30 in Los
//! Angeles is logged that day, not the next one as its UTC date would say.
//!
//! When the org's zone is unknown (a link made before callpop read it, or an org that refused the query), the day is
//! the UTC date; the preflight check says so. The zone rules are the IANA database as `chrono-tz` compiles it in.
//! This lives in the server, not in core: core takes no chrono (its tidy test), and core's `CallActivity` takes the
//! day already formatted, as it takes numbers.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// An org's default time zone, read from its `TimeZoneSidKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgTimeZone(Tz);

impl OrgTimeZone {
    /// The zone a `TimeZoneSidKey` names; `None` for a name the IANA database does not know.
    pub fn parse(sid_key: &str) -> Option<Self> {
        sid_key.trim().parse::<Tz>().ok().map(Self)
    }

    /// The zone's IANA name, as Salesforce writes it.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// The day `at` falls on in the org's time zone, or in UTC when the zone is unknown.
pub fn activity_date(at: DateTime<Utc>, zone: Option<OrgTimeZone>) -> NaiveDate {
    match zone {
        Some(OrgTimeZone(zone)) => at.with_timezone(&zone).date_naive(),
        None => at.date_naive(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("an RFC 3339 time").with_timezone(&Utc)
    }

    fn day(zone: &str, moment: &str) -> String {
        activity_date(at(moment), Some(OrgTimeZone::parse(zone).expect("a known zone"))).to_string()
    }

    #[test]
    fn a_late_evening_call_in_los_angeles_is_logged_that_day() {
        // 23:30 Pacific Standard Time is 07:30 UTC the next day.
        assert_eq!(day("America/Los_Angeles", "2026-11-26T07:30:00Z"), "2026-11-25");
        // In summer, Pacific Daylight Time is UTC-7: 23:30 PDT is 06:30 UTC.
        assert_eq!(day("America/Los_Angeles", "2026-07-05T06:30:00Z"), "2026-07-04");
        assert_eq!(day("America/Los_Angeles", "2026-07-05T07:30:00Z"), "2026-07-05");
    }

    #[test]
    fn an_early_morning_call_east_of_utc_is_logged_that_day() {
        // 00:15 in Kolkata (UTC+5:30) is 18:45 UTC the day before.
        assert_eq!(day("Asia/Kolkata", "2026-03-01T18:45:00Z"), "2026-03-02");
        assert_eq!(day("Pacific/Auckland", "2026-01-01T11:30:00Z"), "2026-01-02");
    }

    #[test]
    fn an_unknown_zone_logs_the_utc_date() {
        assert_eq!(activity_date(at("2026-11-26T07:30:00Z"), None).to_string(), "2026-11-26");
        assert_eq!(day("GMT", "2026-11-26T07:30:00Z"), "2026-11-26");
    }

    #[test]
    fn salesforce_zone_names_parse_and_others_do_not() {
        for name in ["America/Los_Angeles", "Europe/London", "Asia/Kathmandu", "America/Indiana/Indianapolis", "GMT"] {
            assert_eq!(OrgTimeZone::parse(name).map(|zone| zone.name()), Some(name));
        }
        assert_eq!(OrgTimeZone::parse(" Europe/Paris "), OrgTimeZone::parse("Europe/Paris"));
        for name in ["", "Pacific Standard Time", "PST8", "America/Atlantis"] {
            assert_eq!(OrgTimeZone::parse(name), None, "{name:?}");
        }
    }
}
