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

/// Formats a stored E.164 number as the account writes it. Falls back to the stored text if it no longer parses.
pub fn display_e164(stored_e164: &str, local_format: bool) -> String {
    match phonenumber::parse(None, stored_e164) {
        Ok(number) => display(&number, local_format),
        Err(_) => stored_e164.to_owned(),
    }
}

/// The ISO 3166 region a number belongs to (`US`, `GB`), when libphonenumber knows it.
pub fn region_of(number: &PhoneNumber) -> Option<String> {
    number.country().id().map(|id| id.as_ref().to_owned())
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
    fn local_format_is_the_national_one() {
        // libphonenumber's own examples: a US number and a UK (London) number.
        let us = parse("+14155552671", "US").unwrap();
        assert_eq!(display(&us, true), "(415) 555-2671");
        assert_eq!(display(&us, false), "+14155552671");
        let gb = parse("+44 20 7031 3000", "US").unwrap();
        assert_eq!(display(&gb, true), "020 7031 3000");
        assert_eq!(region_of(&gb).as_deref(), Some("GB"));
        assert_eq!(display_e164("+442070313000", true), "020 7031 3000");
    }

    #[test]
    fn rubbish_and_impossible_numbers_are_rejected() {
        assert!(matches!(parse("call me maybe", "US"), Err(PhoneError::Unparseable(_))));
        assert!(matches!(parse("+1 415 555", "US"), Err(PhoneError::Invalid(_))));
        assert!(matches!(parse("4155552671", "XX"), Err(PhoneError::UnknownRegion(_))));
    }
}
