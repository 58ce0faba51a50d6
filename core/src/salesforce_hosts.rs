//! Which origins may receive callpop's Salesforce credentials: the connected app's secret, a PKCE verifier, an
//! authorization code, an access or refresh token.
//!
//! A tenant's administrator chooses the login URL when linking an org, and the token endpoint's answer names the
//! `instance_url` and identity URL every later request goes to. Both are input from outside the server: without a
//! check, an administrator (or a login host they control) could make the server post its secret, or a bearer token,
//! to any host, including internal services. So every URL a credential goes to is checked here first.
//!
//! Salesforce's hosts, all HTTPS on the default port:
//! - `login.salesforce.com` and `test.salesforce.com` (production and sandbox logins);
//! - My Domain login and instance hosts: `<name>.my.salesforce.com`, and the partitioned ones under it
//!   (`<name>--<sandbox>.sandbox.my.salesforce.com`, `.develop.`, `.scratch.`, `.demo.`, `.patch.`,
//!   `.trailblaze.my.salesforce.com`);
//! - the legacy instance hosts orgs answered before enhanced domains (`na123.salesforce.com`, `cs42.salesforce.com`);
//! - Government Cloud and Government Cloud Plus orgs also use `*.my.salesforce.com`; the U.S. Department of
//!   Defense's cloud uses `.salesforce.mil` (its Open CTI library accepts the same suffix).
//!
//! Everything under `salesforce.com` and `salesforce.mil` is run by Salesforce. Customer-built content lives
//! elsewhere (Experience Cloud sites on `*.force.com` and `*.my.site.com`, Visualforce on `*.visualforce.com`), so
//! those suffixes are deliberately not accepted here although the softphone may be framed from them.
//!
//! Any other origin (the local org in the demo and tests, a cloud this list does not know) must be listed by the
//! operator in the server's configuration, exactly: scheme, host and port.

/// The domain suffixes whose hosts are Salesforce's login and API hosts.
pub const SALESFORCE_API_DOMAIN_SUFFIXES: [&str; 2] = [".salesforce.com", ".salesforce.mil"];

/// Whether credentials may be sent to `origin` (`scheme://host[:port]`, lowercase, as a URL parser serializes an
/// origin, without a default port): a Salesforce host over HTTPS on the default port, or exactly one of the
/// operator's `extra_origins`.
pub fn may_receive_credentials(origin: &str, extra_origins: &[String]) -> bool {
    if extra_origins.iter().any(|extra| extra.trim_end_matches('/').eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some(host) = origin.strip_prefix("https://") else { return false };
    let well_formed = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && label.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        });
    well_formed
        && SALESFORCE_API_DOMAIN_SUFFIXES.iter().any(|suffix| host.len() > suffix.len() && host.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_login_and_instance_hosts_may_receive_credentials() {
        for origin in [
            "https://login.salesforce.com",
            "https://test.salesforce.com",
            "https://acme.my.salesforce.com",
            "https://acme--uat.sandbox.my.salesforce.com",
            "https://acme-dev-ed.develop.my.salesforce.com",
            "https://na123.salesforce.com",
            "https://agency.my.salesforce.mil",
        ] {
            assert!(may_receive_credentials(origin, &[]), "{origin}");
        }
    }

    #[test]
    fn other_hosts_ports_and_schemes_may_not() {
        for origin in [
            "https://evil.example.com",
            "https://169.254.169.254",
            "http://localhost:5432",
            "http://127.0.0.1:8081",
            "https://salesforce.com",
            "https://acme.my.salesforce.com.evil.example",
            "https://evilsalesforce.com",
            "https://acme.my.salesforce.com:8443",
            "http://acme.my.salesforce.com",
            "https://acme.my.site.com",
            "https://acme.lightning.force.com",
            "https://acme--c.visualforce.com",
            "https://user@acme.my.salesforce.com",
            "https://-x.salesforce.com",
            "https://a..salesforce.com",
        ] {
            assert!(!may_receive_credentials(origin, &[]), "{origin}");
        }
    }

    #[test]
    fn the_operators_extra_origins_are_matched_exactly() {
        let extras = ["http://127.0.0.1:8081/".to_owned()];
        assert!(may_receive_credentials("http://127.0.0.1:8081", &extras));
        assert!(!may_receive_credentials("http://127.0.0.1:8082", &extras));
        assert!(!may_receive_credentials("https://127.0.0.1:8081", &extras));
        assert!(!may_receive_credentials("http://localhost:8081", &extras));
    }
}
