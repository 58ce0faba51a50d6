//! Region names as the account writes them to Salesforce (option `full_region_names`): ISO codes (`US`, `CA` for
//! California) or English names (`United States`, `California`).
//!
//! Names come from ISO 3166 through the `rust_iso3166` crate. ISO's names are not always the ones people use:
//! countries carry formal forms and qualifiers ("United States of America", "Korea (Republic of)") and
//! subdivisions are often in the local language ("Bayern"). The rule: **a name is ISO's, unless the override table
//! below gives the short English name in common use** (the name the country's own English-language government
//! sites and Salesforce admins would type). The table is deliberately small; add to it when a customer's org
//! rejects an ISO name.
//!
//! Input is read as a code or a name in any case (`us`, `USA`, `united states of america`, `Bavaria`,
//! `bayern`, `US-CA`). Input callpop cannot place is written as it came: an org with State/Country picklists then
//! rejects it visibly in the sync log, and no data is lost.

use rust_iso3166::CountryCode;
use rust_iso3166::iso3166_2::{self, Subdivision};

/// Countries whose common English name differs from ISO's, by alpha-2 code.
const COUNTRY_NAMES: [(&str, &str); 24] = [
    ("US", "United States"),
    ("GB", "United Kingdom"),
    ("RU", "Russia"),
    ("KR", "South Korea"),
    ("KP", "North Korea"),
    ("VN", "Vietnam"),
    ("IR", "Iran"),
    ("SY", "Syria"),
    ("LA", "Laos"),
    ("BO", "Bolivia"),
    ("VE", "Venezuela"),
    ("TZ", "Tanzania"),
    ("TW", "Taiwan"),
    ("MD", "Moldova"),
    ("FM", "Micronesia"),
    ("NL", "Netherlands"),
    ("CD", "Democratic Republic of the Congo"),
    ("CG", "Republic of the Congo"),
    ("BN", "Brunei"),
    ("PS", "Palestine"),
    ("VA", "Vatican City"),
    ("FK", "Falkland Islands"),
    ("VG", "British Virgin Islands"),
    ("VI", "U.S. Virgin Islands"),
];

/// Subdivisions whose English name differs from ISO's local-language one, by ISO 3166-2 code.
const SUBDIVISION_NAMES: [(&str, &str); 30] = [
    ("DE-BY", "Bavaria"),
    ("DE-HE", "Hesse"),
    ("DE-MV", "Mecklenburg-Western Pomerania"),
    ("DE-NI", "Lower Saxony"),
    ("DE-NW", "North Rhine-Westphalia"),
    ("DE-RP", "Rhineland-Palatinate"),
    ("DE-SN", "Saxony"),
    ("DE-ST", "Saxony-Anhalt"),
    ("DE-TH", "Thuringia"),
    ("AT-2", "Carinthia"),
    ("AT-3", "Lower Austria"),
    ("AT-4", "Upper Austria"),
    ("AT-6", "Styria"),
    ("AT-7", "Tyrol"),
    ("AT-9", "Vienna"),
    ("CH-GE", "Geneva"),
    ("CH-LU", "Lucerne"),
    ("CH-ZH", "Zurich"),
    ("IT-21", "Piedmont"),
    ("IT-23", "Aosta Valley"),
    ("IT-25", "Lombardy"),
    ("IT-52", "Tuscany"),
    ("IT-75", "Apulia"),
    ("IT-82", "Sicily"),
    ("IT-88", "Sardinia"),
    ("ES-AN", "Andalusia"),
    ("ES-CT", "Catalonia"),
    ("ES-CN", "Canary Islands"),
    ("ES-MD", "Madrid"),
    ("MX-CMX", "Mexico City"),
];

fn same(left: &str, right: &str) -> bool {
    left.trim().to_lowercase() == right.trim().to_lowercase()
}

/// A country callpop recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country(CountryCode);

impl Country {
    /// Reads an alpha-2 or alpha-3 code, ISO's name, or the English name, in any case.
    pub fn find(input: &str) -> Option<Self> {
        let input = input.trim();
        if input.is_empty() {
            return None;
        }
        let upper = input.to_ascii_uppercase();
        let by_code = match upper.len() {
            2 => rust_iso3166::from_alpha2(&upper),
            3 => rust_iso3166::from_alpha3(&upper),
            _ => None,
        };
        let by_override = || {
            COUNTRY_NAMES
                .iter()
                .find(|(_, name)| same(name, input))
                .and_then(|(code, _)| rust_iso3166::from_alpha2(code))
        };
        let by_iso_name = || rust_iso3166::ALL.iter().find(|country| same(country.name, input)).copied();
        by_code.or_else(by_override).or_else(by_iso_name).map(Self)
    }

    /// The alpha-2 code, e.g. `US`.
    pub fn code(self) -> &'static str {
        self.0.alpha2
    }

    /// The English name: the override, else ISO's.
    pub fn name(self) -> &'static str {
        COUNTRY_NAMES.iter().find(|(code, _)| *code == self.0.alpha2).map_or(self.0.name, |(_, name)| name)
    }

    /// Reads a subdivision of this country: its code (`CA`, `US-CA`), ISO's name or the English name.
    pub fn subdivision(self, input: &str) -> Option<Region> {
        let input = input.trim();
        if input.is_empty() {
            return None;
        }
        let upper = input.to_ascii_uppercase();
        let full_code =
            if upper.starts_with(&format!("{}-", self.code())) { upper } else { format!("{}-{upper}", self.code()) };
        let by_code = iso3166_2::from_code(&full_code);
        let by_override = || {
            SUBDIVISION_NAMES
                .iter()
                .filter(|(code, _)| code.starts_with(&format!("{}-", self.code())))
                .find(|(_, name)| same(name, input))
                .and_then(|(code, _)| iso3166_2::from_code(code))
        };
        let by_iso_name = || self.0.subdivisions()?.iter().find(|subdivision| same(subdivision.name, input)).copied();
        by_code.or_else(by_override).or_else(by_iso_name).map(Region)
    }
}

/// A country's subdivision (state, province, region) callpop recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(Subdivision);

impl Region {
    /// The code within its country, e.g. `CA` for `US-CA`.
    pub fn region_code(self) -> &'static str {
        self.0.region_code
    }

    /// The English name: the override, else ISO's.
    pub fn name(self) -> &'static str {
        SUBDIVISION_NAMES.iter().find(|(code, _)| *code == self.0.code).map_or(self.0.name, |(_, name)| name)
    }
}

/// The country as the account writes it: its code, or with `full_names` its English name. Unknown input is
/// returned trimmed, as it came.
pub fn format_country(input: &str, full_names: bool) -> String {
    match Country::find(input) {
        Some(country) if full_names => country.name().to_owned(),
        Some(country) => country.code().to_owned(),
        None => input.trim().to_owned(),
    }
}

/// The state or province as the account writes it, read within `country` (a code or name; unknown countries
/// leave the region as it came).
pub fn format_region(country: &str, region: &str, full_names: bool) -> String {
    match Country::find(country).and_then(|country| country.subdivision(region)) {
        Some(found) if full_names => found.name().to_owned(),
        Some(found) => found.region_code().to_owned(),
        None => region.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_read_from_codes_and_names_in_any_case() {
        for input in ["US", "us", "USA", "United States", "united states of america", " UNITED STATES "] {
            assert_eq!(format_country(input, false), "US", "{input}");
            assert_eq!(format_country(input, true), "United States", "{input}");
        }
        assert_eq!(format_country("Korea (Republic of)", true), "South Korea");
        assert_eq!(format_country("gbr", true), "United Kingdom");
        assert_eq!(format_country("Viet Nam", false), "VN");
        assert_eq!(format_country("France", true), "France", "ISO's name when no override");
        assert_eq!(format_country("Atlantis", true), "Atlantis", "unknown input is kept");
    }

    #[test]
    fn subdivisions_are_read_within_their_country() {
        let cases = [
            ("US", "ca", "CA", "California"),
            ("United States", "California", "CA", "California"),
            ("US", "US-NY", "NY", "New York"),
            ("DE", "Bayern", "BY", "Bavaria"),
            ("DE", "bavaria", "BY", "Bavaria"),
            ("DE", "NW", "NW", "North Rhine-Westphalia"),
            ("CA", "QC", "QC", "Quebec"),
            ("AU", "New South Wales", "NSW", "New South Wales"),
            ("GB", "ENG", "ENG", "England"),
            ("JP", "13", "13", "Tokyo"),
            ("BR", "São Paulo", "SP", "São Paulo"),
            ("IT", "Lombardia", "25", "Lombardy"),
        ];
        for (country, input, code, name) in cases {
            assert_eq!(format_region(country, input, false), code, "{country} {input}");
            assert_eq!(format_region(country, input, true), name, "{country} {input}");
        }
        assert_eq!(format_region("US", "Bavaria", true), "Bavaria", "not a US state: kept as it came");
        assert_eq!(format_region("Nowhere", "CA", true), "CA");
    }

    #[test]
    fn every_override_names_a_code_iso_knows() {
        for (code, _) in COUNTRY_NAMES {
            assert!(rust_iso3166::from_alpha2(code).is_some(), "{code}");
        }
        for (code, _) in SUBDIVISION_NAMES {
            assert!(iso3166_2::from_code(code).is_some(), "{code}");
        }
    }
}
