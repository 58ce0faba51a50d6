//! Phone numbers: parsed once, on the server, with libphonenumber's metadata (the `phonenumber` crate), and written
//! in the format the account chose: E.164 (`+14155552671`) or the number's national format (`(415) 555-2671`).
//!
//! This lives in the server, never in the Wasm adapter: the metadata alone adds about 575 KB gzipped.

use phonenumber::{Mode, PhoneNumber};

/// Why a caller's number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("{0:?} is not a phone number")]
    Unparseable(String),
    #[error("{0:?} is not a valid phone number for its country")]
    Invalid(String),
    #[error("{0:?} is not an ISO 3166 region code callpop knows")]
    UnknownRegion(String),
}

/// Parses `raw` as a phone number; numbers without a country code are read in `default_region` (ISO 3166, e.g. `US`).
pub fn parse(raw: &str, default_region: &str) -> Result<PhoneNumber, PhoneError> {
    let region: phonenumber::country::Id = default_region
        .trim()
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| PhoneError::UnknownRegion(default_region.to_owned()))?;
    let number = phonenumber::parse(Some(region), raw.trim()).map_err(|_| PhoneError::Unparseable(raw.to_owned()))?;
    if number.is_valid() { Ok(number) } else { Err(PhoneError::Invalid(raw.to_owned())) }
}

/// The number as E.164.
pub fn e164(number: &PhoneNumber) -> String {
    number.format().mode(Mode::E164).to_string()
}

/// The number as the account writes it: national format when `local_format` is on, else E.164.
pub fn display(number: &PhoneNumber, local_format: bool) -> String {
    let mode = if local_format { Mode::National } else { Mode::E164 };
    number.format().mode(mode).to_string()
}

/// Formats a stored E.164 number as an account in `home_region` writes it: with local format on, the national
/// format for numbers of the account's own country and the international one (`+44 20 7123 4567`) for others, so
/// a foreign number never loses its country code; E.164 otherwise. Falls back to the stored text if it no longer
/// parses. Everything people see (Tasks, Leads, the softphone, the console) shows numbers this way.
pub fn display_e164_for(stored_e164: &str, local_format: bool, home_region: &str) -> String {
    match phonenumber::parse(None, stored_e164) {
        Ok(number)
            if local_format && !region_of(&number).is_some_and(|region| region.eq_ignore_ascii_case(home_region)) =>
        {
            number.format().mode(Mode::International).to_string()
        }
        Ok(number) => display(&number, local_format),
        Err(_) => stored_e164.to_owned(),
    }
}

/// The ISO 3166 region a number belongs to (`US`, `GB`), when libphonenumber knows it.
pub fn region_of(number: &PhoneNumber) -> Option<String> {
    number.country().id().map(|id| id.as_ref().to_owned())
}

/// A stored E.164 number as `account` writes numbers (`display_e164_for` with its option 2 and home region).
pub fn as_account_writes(stored_e164: &str, account: &crate::model::Account) -> String {
    display_e164_for(stored_e164, account.options.local_number_format, &account.default_region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_caller_written_any_way_is_one_e164_number() {
        for written in ["+14155552671", "(415) 555-2671", "415.555.2671", "1 415 555 2671"] {
            assert_eq!(e164(&parse(written, "US").unwrap()), "+14155552671", "{written}");
        }
    }

    #[test]
    fn local_format_is_national_at_home_and_international_abroad() {
        assert_eq!(display_e164_for("+14155552671", true, "US"), "(415) 555-2671");
        assert_eq!(display_e164_for("+442071234567", true, "US"), "+44 20 7123 4567");
        assert_eq!(display_e164_for("+442071234567", true, "GB"), "020 7123 4567");
        assert_eq!(display_e164_for("+442071234567", false, "US"), "+442071234567");
    }

    #[test]
    fn local_format_is_the_national_one() {
        // libphonenumber's own examples: a US number and a UK (London) number.
        let us = parse("+14155552671", "US").unwrap();
        assert_eq!(display(&us, true), "(415) 555-2671");
        assert_eq!(display(&us, false), "+14155552671");
        let gb = parse("+44 20 7031 3000", "US").unwrap();
        assert_eq!(display(&gb, true), "020 7031 3000");
        assert_eq!(region_of(&gb).as_deref(), Some("GB"));
        assert_eq!(display_e164_for("+442070313000", true, "GB"), "020 7031 3000");
    }

    #[test]
    fn formats_match_libphonenumbers_own_examples() {
        // libphonenumber's example numbers (its metadata's `exampleNumber`, fixed line and mobile) with the E.164
        // and national formats its reference implementation gives.
        let examples = [
            ("US", "2015550123", "+12015550123", "(201) 555-0123"),
            ("GB", "1212345678", "+441212345678", "0121 234 5678"),
            ("GB", "7400123456", "+447400123456", "07400 123456"),
            ("DE", "30123456", "+4930123456", "030 123456"),
            ("DE", "15123456789", "+4915123456789", "01512 3456789"),
            ("FR", "123456789", "+33123456789", "01 23 45 67 89"),
            ("FR", "612345678", "+33612345678", "06 12 34 56 78"),
            ("AU", "212345678", "+61212345678", "(02) 1234 5678"),
            ("AU", "412345678", "+61412345678", "0412 345 678"),
            ("JP", "312345678", "+81312345678", "03-1234-5678"),
            ("JP", "9012345678", "+819012345678", "090-1234-5678"),
            ("BR", "1123456789", "+551123456789", "(11) 2345-6789"),
            ("BR", "11961234567", "+5511961234567", "(11) 96123-4567"),
        ];
        for (region, national, e164_form, local_form) in examples {
            let number = parse(national, region).unwrap_or_else(|error| panic!("{region} {national}: {error}"));
            assert_eq!(e164(&number), e164_form, "{region} {national}");
            assert_eq!(display(&number, true), local_form, "{region} {national}");
            assert_eq!(region_of(&number).as_deref(), Some(region));
            assert_eq!(e164(&parse(local_form, region).unwrap()), e164_form, "the local form reads back");
        }
    }

    #[test]
    fn rubbish_and_impossible_numbers_are_rejected() {
        assert!(matches!(parse("call me maybe", "US"), Err(PhoneError::Unparseable(_))));
        assert!(matches!(parse("+1 415 555", "US"), Err(PhoneError::Invalid(_))));
        assert!(matches!(parse("4155552671", "XX"), Err(PhoneError::UnknownRegion(_))));
    }
}
