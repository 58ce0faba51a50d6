//! Linking an account to its Salesforce org (OAuth 2.0 web-server flow with PKCE), keeping the link's REST client,
//! and refreshing its access token: once, for every request that found it expired (single flight).
//!
//! Tokens are sealed (`TokenCipher`, bound to the account and the column) before the store sees them. The state and
//! PKCE verifier of an authorization in progress are kept server-side, so the callback cannot be forged.
//!
//! The org's default time zone (`Organization.TimeZoneSidKey`) is read when the org is linked and again each time
//! the admin runs the preflight check, and kept with the link: a Task's `ActivityDate` is the call's day in that zone
//! (`time_zone::activity_date`). Not at each token refresh: a zone rarely changes, and the preflight check (or
//! linking again) picks up a change. A link whose zone is unknown (made before callpop read it, or the org refused
//! the query) logs UTC dates, and the preflight check says so.

use super::preflight::{CheckStatus, PreflightCheck, check};
use super::{Flow, Halt, SyncEngine, item_error};
use crate::config::Config;
use crate::salesforce::hosts::{CredentialHosts, ForeignHost};
use crate::salesforce::oauth::{LoginUrl, OAuthSettings, SalesforceOAuth, SalesforceToken};
use crate::salesforce::{SalesforceClient, SalesforceError, Session, soql};
use crate::secrets::hash_secret;
use crate::store::connections::{LinkState, StoredConnection};
use crate::time_zone::{OrgTimeZone, activity_date};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::sync::Arc;

/// The connected app callpop links orgs with, and where Salesforce sends the admin back.
#[derive(Debug, Clone)]
pub(crate) struct OAuthApp {
    client_id: String,
    client_secret: SecretString,
    default_login_url: String,
    redirect_url: String,
}

impl OAuthApp {
    /// The app from the configuration, when a client id and secret are set.
    pub(crate) fn from_config(config: &Config, public_url: &str) -> Option<Self> {
        Some(Self {
            client_id: config.salesforce_client_id.clone()?,
            client_secret: config.salesforce_client_secret.clone()?,
            default_login_url: config.salesforce_login_url.clone(),
            redirect_url: callback_url(public_url),
        })
    }
}

/// The hosts this server sends Salesforce credentials to: Salesforce's, the operator's `--allow-org-origin` list, and
/// the origin of the operator's own default login URL (`--salesforce-login-url`), which the operator chose too.
pub(crate) fn credential_hosts(config: &Config) -> CredentialHosts {
    let default_login = LoginUrl::parse(&config.salesforce_login_url).ok().map(|url| url.as_str().to_owned());
    CredentialHosts::new(config.extra_org_origins.iter().cloned().chain(default_login))
}

/// Where Salesforce sends the admin back after they allow access.
pub fn callback_url(public_url: &str) -> String {
    format!("{}/api/v1/salesforce/oauth/callback", public_url.trim_end_matches('/'))
}

/// An account's open link: the REST client, the sealed token it was built from, the refresh lock.
#[derive(Debug)]
pub(crate) struct OrgLink {
    pub(crate) client: SalesforceClient,
    /// The sealed access token the client uses: a refresh is due only while the store still holds this one.
    pub(crate) sealed_access_token: String,
    /// What callpop's writes depend on in the org's schema (looked up once per link).
    pub(crate) shape: tokio::sync::OnceCell<super::actions::OrgShape>,
    /// The org's default time zone as stored with the link; `None` when unknown (dates are then UTC).
    pub(crate) time_zone: Option<OrgTimeZone>,
}

impl OrgLink {
    /// The day `at` falls on in the org's time zone (UTC when unknown), as a Task's `ActivityDate` takes it.
    pub(crate) fn activity_date(&self, at: DateTime<Utc>) -> String {
        activity_date(at, self.time_zone).to_string()
    }
}

/// Why linking failed, in a sentence for the admin.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(
        "linking Salesforce is not configured on this server: set CALLPOP_SALESFORCE_CLIENT_ID and CALLPOP_SALESFORCE_CLIENT_SECRET"
    )]
    NotConfigured,
    #[error("{0}")]
    BadLoginUrl(String),
    /// A URL that would receive a credential is not a Salesforce host; nothing was sent there.
    #[error("{what} {source}")]
    ForeignHost { what: &'static str, source: ForeignHost },
    #[error("this authorization is unknown or has expired: start linking again")]
    UnknownState,
    #[error("Salesforce did not allow the link: {0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// An account's link as the console shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub connected: bool,
    /// `connected`, `needs_relink` (Salesforce refused a refresh: link again) or `not_linked`.
    pub status: String,
    pub login_url: Option<String>,
    pub instance_url: Option<String>,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    /// The integration user callpop writes as.
    pub username: Option<String>,
    /// The org's default time zone (`TimeZoneSidKey`, e.g. `America/Los_Angeles`), which Task dates follow;
    /// absent when unknown (dates are then UTC).
    pub time_zone: Option<String>,
    pub connected_at: Option<DateTime<Utc>>,
    /// The org's daily API usage as the last response's `Sforce-Limit-Info` gave it.
    pub api_used: Option<i64>,
    pub api_max: Option<i64>,
    /// Set while the account's sync is paused by `REQUEST_LIMIT_EXCEEDED`.
    pub paused_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Salesforce requests per call or text synced in the last 7 days.
    pub requests_per_logged_call: Option<f64>,
    /// Whether this server can link orgs (a connected app is configured).
    pub linking_available: bool,
}

const ACCESS_COLUMN: &str = "access_token";
const REFRESH_COLUMN: &str = "refresh_token";
const VERIFIER_COLUMN: &str = "pkce_verifier";
const STATE_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// The sealing context: a token opens only for the account and column it was sealed for.
fn context(account_id: i64, column: &str) -> String {
    format!("account {account_id} {column}")
}

impl SyncEngine {
    fn oauth_client(&self, login_url: &str) -> Result<SalesforceOAuth, LinkError> {
        let app = self.oauth.as_ref().ok_or(LinkError::NotConfigured)?;
        let login_url = LoginUrl::parse(login_url).map_err(|error| LinkError::BadLoginUrl(error.to_string()))?;
        self.hosts
            .check(login_url.as_str())
            .map_err(|source| LinkError::ForeignHost { what: "the login URL:", source })?;
        let settings = OAuthSettings {
            login_url,
            client_id: app.client_id.clone(),
            client_secret: app.client_secret.clone(),
            redirect_url: app.redirect_url.clone(),
        };
        SalesforceOAuth::new(&settings, self.http.clone()).map_err(|error| LinkError::BadLoginUrl(error.to_string()))
    }

    /// Starts linking: the URL to send the admin's browser to. `login_url` defaults to the server's.
    pub async fn start_link(
        &self,
        account_id: i64,
        user_id: i64,
        login_url: Option<&str>,
    ) -> Result<String, LinkError> {
        let app = self.oauth.as_ref().ok_or(LinkError::NotConfigured)?;
        let login_url = login_url.map_or_else(|| app.default_login_url.clone(), str::to_owned);
        let start = self.oauth_client(&login_url)?.authorize();
        let state = LinkState {
            account_id,
            user_id,
            login_url,
            pkce_verifier: self.cipher.seal(&start.pkce_verifier, &context(account_id, VERIFIER_COLUMN)),
        };
        self.store.create_link_state(&hash_secret(&start.state), &state, Utc::now() + STATE_LIFETIME).await?;
        Ok(start.url)
    }

    /// Finishes linking with what Salesforce sent back; returns the linked account's id.
    pub async fn finish_link(&self, state: &str, code: &str) -> Result<i64, LinkError> {
        let pending =
            self.store.take_link_state(&hash_secret(state), Utc::now()).await?.ok_or(LinkError::UnknownState)?;
        let verifier = self
            .cipher
            .open(&pending.pkce_verifier, &context(pending.account_id, VERIFIER_COLUMN))
            .map_err(|_| LinkError::UnknownState)?;
        let oauth = self.oauth_client(&pending.login_url)?;
        let token =
            oauth.exchange_code(code, &verifier).await.map_err(|error| LinkError::Refused(error.to_string()))?;
        if let Err(error) = self.check_token_hosts(&token) {
            // The token came from an allowed login host, so it may go back there to be revoked; nowhere else.
            let _ = oauth.revoke(token.refresh_token.as_ref().unwrap_or(&token.access_token).expose_secret()).await;
            return Err(error);
        }
        let username = self.identity_username(&token).await;
        let session = Session { instance_url: token.instance_url.clone(), access_token: token.access_token.clone() };
        let time_zone = match org_time_zone(&SalesforceClient::new(self.http.clone(), session)).await {
            Ok(zone) => zone,
            Err(error) => {
                // Linking goes ahead: dates are UTC until the preflight check reads the zone (it says so).
                tracing::warn!(account_id = pending.account_id, %error, "could not read the org's time zone");
                None
            }
        };
        let (org_id, user_id) =
            token.org_and_user().map_or((None, None), |(org, user)| (Some(org.to_owned()), Some(user.to_owned())));
        let connection = StoredConnection {
            account_id: pending.account_id,
            login_url: pending.login_url,
            instance_url: token.instance_url.clone(),
            org_id,
            user_id,
            username,
            access_token: self
                .cipher
                .seal(token.access_token.expose_secret(), &context(pending.account_id, ACCESS_COLUMN)),
            refresh_token: token
                .refresh_token
                .as_ref()
                .map(|refresh| self.cipher.seal(refresh.expose_secret(), &context(pending.account_id, REFRESH_COLUMN))),
            connected_at: Utc::now(),
            connected_by_user_id: Some(pending.user_id),
            status: "connected".to_owned(),
            paused_until: None,
            api_used: None,
            api_max: None,
            last_error: None,
            time_zone: time_zone.map(|zone| zone.name().to_owned()),
        };
        self.store.save_connection(&connection).await?;
        self.forget_link(pending.account_id);
        // Calls that waited for the link go now.
        self.store.wake_account_outbox(pending.account_id, Utc::now()).await?;
        self.wake();
        Ok(pending.account_id)
    }

    /// Refuses a token whose `instance_url` or identity URL is not a host credentials may go to.
    fn check_token_hosts(&self, token: &SalesforceToken) -> Result<(), LinkError> {
        self.hosts.check(&token.instance_url).map_err(|source| LinkError::ForeignHost {
            what: "Salesforce's answer named an instance URL callpop will not call, so the org was not linked and nothing was sent there:",
            source,
        })?;
        self.hosts.check(&token.identity_url).map_err(|source| LinkError::ForeignHost {
            what: "Salesforce's answer named an identity URL callpop will not call, so the org was not linked and nothing was sent there:",
            source,
        })
    }

    /// The integration user's username from the identity URL, when Salesforce answers it.
    async fn identity_username(&self, token: &SalesforceToken) -> Option<String> {
        let response =
            self.http.get(&token.identity_url).bearer_auth(token.access_token.expose_secret()).send().await.ok()?;
        let identity: serde_json::Value = response.error_for_status().ok()?.json().await.ok()?;
        identity["username"].as_str().or_else(|| identity["preferred_username"].as_str()).map(str::to_owned)
    }

    /// Unlinks the account's org: revokes the refresh token (which revokes its access tokens) and forgets the link.
    pub async fn unlink(&self, account_id: i64) -> Result<bool, LinkError> {
        if let Some(connection) = self.store.connection(account_id).await? {
            let token = connection
                .refresh_token
                .as_deref()
                .map(|sealed| (sealed, REFRESH_COLUMN))
                .unwrap_or((connection.access_token.as_str(), ACCESS_COLUMN));
            if let (Ok(token), Ok(oauth)) =
                (self.cipher.open(token.0, &context(account_id, token.1)), self.oauth_client(&connection.login_url))
            {
                // A revoke that fails leaves a token Salesforce will expire on its own; unlinking goes ahead.
                if let Err(error) = oauth.revoke(&token).await {
                    tracing::warn!(account_id, %error, "Salesforce did not confirm the token's revocation");
                }
            }
        }
        self.forget_link(account_id);
        Ok(self.store.delete_connection(account_id).await?)
    }

    /// The account's link as the console shows it.
    pub async fn connection_view(&self, account_id: i64) -> sqlx::Result<ConnectionView> {
        let connection = self.store.connection(account_id).await?;
        let since = Utc::now() - chrono::Duration::days(7);
        let requests_per_logged_call = self.store.requests_per_logged_call(account_id, since).await?;
        let linking_available = self.oauth.is_some();
        Ok(match connection {
            Some(connection) => ConnectionView {
                connected: connection.status == "connected",
                status: connection.status,
                login_url: Some(connection.login_url),
                instance_url: Some(connection.instance_url),
                org_id: connection.org_id,
                user_id: connection.user_id,
                username: connection.username,
                time_zone: connection.time_zone,
                connected_at: Some(connection.connected_at),
                api_used: connection.api_used,
                api_max: connection.api_max,
                paused_until: connection.paused_until.filter(|until| *until > Utc::now()),
                last_error: connection.last_error,
                requests_per_logged_call,
                linking_available,
            },
            None => ConnectionView {
                connected: false,
                status: "not_linked".to_owned(),
                login_url: None,
                instance_url: None,
                org_id: None,
                user_id: None,
                username: None,
                time_zone: None,
                connected_at: None,
                api_used: None,
                api_max: None,
                paused_until: None,
                last_error: None,
                requests_per_logged_call,
                linking_available,
            },
        })
    }

    fn forget_link(&self, account_id: i64) {
        self.links.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&account_id);
    }

    /// The account's open link, built (or rebuilt, when the stored token changed) from the store. `None` when the
    /// account is not linked or its link needs the admin.
    pub(crate) async fn link_for(&self, account_id: i64) -> sqlx::Result<Option<Arc<OrgLink>>> {
        let Some(connection) = self.store.connection(account_id).await? else {
            self.forget_link(account_id);
            return Ok(None);
        };
        if connection.status != "connected" {
            return Ok(None);
        }
        let cached = self.links.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&account_id).cloned();
        if let Some(link) = cached.filter(|link| link.sealed_access_token == connection.access_token) {
            return Ok(Some(link));
        }
        if let Err(foreign) = self.hosts.check(&connection.instance_url) {
            // A link stored before this check, or by hand: never send its token there.
            self.store.set_connection_status(account_id, "needs_relink", Some(&foreign.to_string())).await?;
            return Ok(None);
        }
        let Ok(access_token) = self.cipher.open(&connection.access_token, &context(account_id, ACCESS_COLUMN)) else {
            self.store
                .set_connection_status(
                    account_id,
                    "needs_relink",
                    Some("the stored token does not open with this server's token key"),
                )
                .await?;
            return Ok(None);
        };
        let session = Session { instance_url: connection.instance_url.clone(), access_token: access_token.into() };
        let link = Arc::new(OrgLink {
            client: SalesforceClient::new(self.http.clone(), session),
            sealed_access_token: connection.access_token,
            shape: tokio::sync::OnceCell::new(),
            time_zone: connection.time_zone.as_deref().and_then(OrgTimeZone::parse),
        });
        self.links.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(account_id, Arc::clone(&link));
        Ok(Some(link))
    }

    /// Refreshes the account's access token after Salesforce refused `refused` (the sealed token the request used).
    /// Single flight per account: requests that found it expired at the same time wait for one refresh, and a
    /// request whose token was already replaced does not refresh again. Only `invalid_grant` (the refresh token is
    /// revoked or expired) marks the link `needs_relink` for the admin; a token endpoint that fails (5xx, an HTML
    /// page, no answer) is retried with backoff.
    pub(crate) async fn refresh_link(&self, account_id: i64, refused: &str) -> Flow {
        let lock = Arc::clone(
            self.refreshes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(account_id).or_default(),
        );
        let _single_flight = lock.lock().await;
        let Some(connection) = self.store.connection(account_id).await? else { return Err(self.wait_for_link()) };
        if connection.access_token != refused {
            return Ok(()); // Another request refreshed it (or the admin linked again) while this one waited.
        }
        let Some(refresh_token) = connection
            .refresh_token
            .as_deref()
            .and_then(|sealed| self.cipher.open(sealed, &context(account_id, REFRESH_COLUMN)).ok())
        else {
            self.store
                .set_connection_status(
                    account_id,
                    "needs_relink",
                    Some("the access token expired and there is no refresh token"),
                )
                .await?;
            return Err(self.wait_for_link());
        };
        let oauth = self
            .oauth_client(&connection.login_url)
            .map_err(|error| Halt::Store(anyhow::anyhow!(error.to_string())))?;
        match oauth.refresh(&refresh_token).await {
            Ok(token) => {
                if let Err(foreign) = self.check_token_hosts(&token) {
                    self.store.set_connection_status(account_id, "needs_relink", Some(&foreign.to_string())).await?;
                    return Err(self.wait_for_link());
                }
                let access = self.cipher.seal(token.access_token.expose_secret(), &context(account_id, ACCESS_COLUMN));
                let rotated = token
                    .refresh_token
                    .as_ref()
                    .map(|refresh| self.cipher.seal(refresh.expose_secret(), &context(account_id, REFRESH_COLUMN)));
                self.store
                    .update_connection_tokens(account_id, &access, rotated.as_deref(), &token.instance_url)
                    .await?;
                self.forget_link(account_id); // The next item rebuilds the link from the new sealed token.
                Ok(())
            }
            Err(error) if error.needs_relink() => {
                self.store.set_connection_status(account_id, "needs_relink", Some(&error.to_string())).await?;
                Err(self.wait_for_link())
            }
            Err(error) => Err(Halt::Defer { until: self.backoff(1), error: Some(item_error(&error)) }),
        }
    }

    /// The preflight's time zone check: reads the org's zone again and keeps it with the link (the next items
    /// use it), so an admin who changed it in Salesforce, or a link made before callpop read it, is brought up to
    /// date. A zone read before stays when Salesforce does not answer this time.
    pub(crate) async fn time_zone_check(&self, account_id: i64, link: &OrgLink) -> sqlx::Result<PreflightCheck> {
        let finding = |status: CheckStatus, detail: String, fix: &str| {
            check("time_zone", "Task dates follow the org's time zone", status, detail, fix)
        };
        let utc = "Until callpop can read it, a Task's date is the call's date in UTC: a call late in the evening \
                   west of UTC (or early in the morning east of it) is dated the next (or previous) day.";
        let found = org_time_zone(&link.client).await;
        if let Ok(zone) = &found {
            self.store.set_connection_time_zone(account_id, zone.map(|zone| zone.name())).await?;
            self.forget_link(account_id); // The next item rebuilds the link with the zone.
        }
        Ok(match (found, link.time_zone) {
            (Ok(Some(zone)), _) => finding(
                CheckStatus::Ok,
                format!("A Task's date is the call's date in {}, the org's default time zone.", zone.name()),
                "",
            ),
            (Ok(None), _) => finding(
                CheckStatus::Warning,
                format!("The org's default time zone is not one callpop knows. {utc}"),
                "Set the org's default time zone (Setup, Company Information) to a named zone.",
            ),
            (Err(error), Some(known)) => finding(
                CheckStatus::Warning,
                format!(
                    "callpop could not read the org's default time zone again ({error}); Task dates follow {}, as \
                     read before.",
                    known.name()
                ),
                "Run the check again later.",
            ),
            (Err(error), None) => finding(
                CheckStatus::Warning,
                format!("callpop could not read the org's default time zone: {error}. {utc}"),
                "Let the integration user read the Organization object (its profile's \"View Setup and \
                 Configuration\").",
            ),
        })
    }

    fn wait_for_link(&self) -> Halt {
        Halt::Defer {
            until: Utc::now() + chrono::Duration::from_std(self.timing.unlinked_wait).unwrap_or_default(),
            error: None,
        }
    }
}

/// The org's default time zone, from `Organization.TimeZoneSidKey`; `Ok(None)` for a zone the IANA database does not
/// know.
async fn org_time_zone(client: &SalesforceClient) -> Result<Option<OrgTimeZone>, SalesforceError> {
    let records = client.query(soql::organization_time_zone()).await?;
    Ok(records.first().and_then(|org| org.text("TimeZoneSidKey")).and_then(OrgTimeZone::parse))
}
