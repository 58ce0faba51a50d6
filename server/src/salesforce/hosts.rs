//! Where Salesforce credentials may go: the server's side of `callpop_core::salesforce_hosts`.
//!
//! [`CredentialHosts::check`] runs before every request that carries the connected app's secret, a PKCE verifier,
//! an authorization code or a token: the login URL an administrator names, and the `instance_url` and identity
//! URL a token endpoint answers with (after the code exchange, after each refresh, and when a stored link is
//! opened). The HTTP client that sends them follows no redirects, so a Salesforce answer cannot forward a credential
//! elsewhere either.

use callpop_core::salesforce_hosts::may_receive_credentials;

/// The hosts this server sends Salesforce credentials to: Salesforce's own, and the origins its operator listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialHosts {
    extra_origins: Vec<String>,
}

/// A URL whose host is not one callpop sends credentials to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{host} is not a Salesforce host: callpop sends Salesforce credentials only to Salesforce's login and instance \
     hosts (https://login.salesforce.com, https://test.salesforce.com, https://<My Domain>.my.salesforce.com) or to \
     an origin this server's operator lists with --allow-org-origin"
)]
pub struct ForeignHost {
    /// The host (and port, when it is not the default), as the URL named it.
    pub host: String,
}

impl CredentialHosts {
    /// Salesforce's hosts plus `extra_origins` (`scheme://host[:port]`, e.g. the local org `http://127.0.0.1:8081`).
    pub fn new(extra_origins: impl IntoIterator<Item = String>) -> Self {
        let extra_origins = extra_origins
            .into_iter()
            .filter_map(|origin| reqwest::Url::parse(&origin).ok())
            .map(|url| url.origin().ascii_serialization())
            .filter(|origin| origin != "null")
            .collect();
        Self { extra_origins }
    }

    /// `Ok` when credentials may be sent to `url`; otherwise the error names its host.
    pub fn check(&self, url: &str) -> Result<(), ForeignHost> {
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return Err(ForeignHost { host: url.to_owned() });
        };
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => url.to_owned(),
        };
        let has_user_info = !parsed.username().is_empty() || parsed.password().is_some();
        let origin = parsed.origin().ascii_serialization();
        if has_user_info || !may_receive_credentials(&origin, &self.extra_origins) {
            return Err(ForeignHost { host });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_urls_pass_and_others_are_refused_by_host() {
        let hosts = CredentialHosts::new(["http://127.0.0.1:8081/".to_owned()]);
        for allowed in [
            "https://login.salesforce.com/services/oauth2/token",
            "https://ACME.my.salesforce.com/services/data/v62.0/",
            "https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA",
            "http://127.0.0.1:8081/services/oauth2/token",
        ] {
            assert_eq!(hosts.check(allowed), Ok(()), "{allowed}");
        }
        for (refused, host) in [
            ("https://evil.example.com", "evil.example.com"),
            ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
            ("http://localhost:5432", "localhost:5432"),
            ("http://127.0.0.1:8082/services/oauth2/token", "127.0.0.1:8082"),
            ("https://user:pw@acme.my.salesforce.com", "acme.my.salesforce.com"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(hosts.check(refused), Err(ForeignHost { host: host.to_owned() }), "{refused}");
        }
    }

    #[test]
    fn the_refusal_names_the_host_and_the_way_out() {
        let error = CredentialHosts::default().check("https://evil.example.com/x").unwrap_err().to_string();
        assert!(error.starts_with("evil.example.com is not a Salesforce host"), "{error}");
        assert!(error.contains("--allow-org-origin"), "{error}");
    }
}
