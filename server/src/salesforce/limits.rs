//! The `Sforce-Limit-Info` header Salesforce sends on every REST response: how much of the org's rolling 24-hour
//! API allocation is used (`salesforce-api.md` §6.2). Only `api-usage=used/max` is read; the other parts
//! (`per-app-api-usage`, `api-bursts`) are ignored. Hand-written: it is one header.

/// The org's daily API usage as of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUsage {
    pub used: u64,
    pub max: u64,
}

impl ApiUsage {
    /// The header's name.
    pub const HEADER: &'static str = "sforce-limit-info";

    /// Reads the header's value, e.g. `api-usage=10018/100000; per-app-api-usage=17/250(appName=sample)`.
    pub fn parse(header: &str) -> Option<Self> {
        header.split(';').find_map(|part| {
            let (name, value) = part.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("api-usage") {
                return None;
            }
            let (used, max) = value.trim().split_once('/')?;
            Some(Self { used: used.trim().parse().ok()?, max: max.trim().parse().ok()? })
        })
    }

    /// How much of the allocation is used, from 0.0; above 1.0 when over.
    pub fn fraction(self) -> f64 {
        if self.max == 0 { 1.0 } else { self.used as f64 / self.max as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_usage_is_read_and_the_rest_ignored() {
        // The examples of `salesforce-api.md` §6.2.
        assert_eq!(ApiUsage::parse("api-usage=10018/100000"), Some(ApiUsage { used: 10018, max: 100_000 }));
        let long = "api-usage=18/5000; per-app-api-usage=17/250(appName=sample-connected-app)";
        assert_eq!(ApiUsage::parse(long), Some(ApiUsage { used: 18, max: 5000 }));
        assert_eq!(ApiUsage::parse("api-bursts=1/750; api-usage=2/15000"), Some(ApiUsage { used: 2, max: 15000 }));
        assert!((ApiUsage { used: 7500, max: 15000 }.fraction() - 0.5).abs() < f64::EPSILON);
    }

    #[test]
    fn malformed_headers_give_nothing() {
        for header in ["", "api-usage", "api-usage=12", "api-usage=a/b", "per-app-api-usage=1/2"] {
            assert_eq!(ApiUsage::parse(header), None, "{header}");
        }
    }
}
