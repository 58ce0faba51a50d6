//! Salesforce Voice, per account (`voice_settings`, one row per account, none meaning Open CTI): the host, the
//! contact center, the Telephony Integration base URL, and the key pair that signs its tokens. The private key is
//! stored sealed by the caller (`salesforce::TokenCipher`); this module never sees it in the clear. Every change is
//! audited in `settings_changes`, with the other settings.

use super::settings::record_change;
use super::{SqlStore, in_write_tx, on_db};
use callpop_core::voice::{VoiceHost, VoiceSettings};
use chrono::{DateTime, Utc};

/// What the account stored for Salesforce Voice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredVoice {
    pub settings: VoiceSettings,
    /// The key pair, once the administrator generated one.
    pub key_pair: Option<StoredKeyPair>,
}

/// The account's Telephony Integration key pair: the sealed private key and its self-signed certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKeyPair {
    /// The PKCS#8 PEM private key, sealed for the account (never returned by any route).
    pub sealed_private_key: String,
    pub certificate_pem: String,
    pub generated_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait VoiceStore {
    /// The account's Salesforce Voice settings and key pair; the defaults (Open CTI, no key) when it never set them.
    async fn voice(&self, account_id: i64) -> sqlx::Result<StoredVoice>;

    /// Replaces the account's voice settings and records one change row per setting whose value differs, in one
    /// transaction. Returns the names of the settings that changed.
    async fn update_voice_settings(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        settings: &VoiceSettings,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<&'static str>>;

    /// Replaces the account's key pair (a first one, or a new one over the old), with its change row (the old and
    /// new generation times), in one transaction. Returns whether an earlier pair was replaced.
    async fn replace_voice_key_pair(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        sealed_private_key: &str,
        certificate_pem: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool>;
}

#[derive(sqlx::FromRow)]
struct VoiceRow {
    host: String,
    contact_center_api_name: Option<String>,
    telephony_base_url: Option<String>,
    sealed_private_key: Option<String>,
    certificate_pem: Option<String>,
    key_generated_at: Option<DateTime<Utc>>,
}

impl From<VoiceRow> for StoredVoice {
    fn from(row: VoiceRow) -> Self {
        let key_pair = match (row.sealed_private_key, row.certificate_pem, row.key_generated_at) {
            (Some(sealed_private_key), Some(certificate_pem), Some(generated_at)) => {
                Some(StoredKeyPair { sealed_private_key, certificate_pem, generated_at })
            }
            _ => None,
        };
        Self {
            settings: VoiceSettings {
                // A name this version does not know reads as the default host.
                host: VoiceHost::parse(&row.host).unwrap_or_default(),
                contact_center_api_name: row.contact_center_api_name,
                telephony_base_url: row.telephony_base_url,
            },
            key_pair,
        }
    }
}

/// Each setting by its audited name, with its value as JSON.
fn audited_values(settings: &VoiceSettings) -> [(&'static str, serde_json::Value); 3] {
    [
        ("voice.host", settings.host.as_str().into()),
        ("voice.contact_center_api_name", settings.contact_center_api_name.clone().into()),
        ("voice.telephony_base_url", settings.telephony_base_url.clone().into()),
    ]
}

const SELECT_VOICE_SQL: &str = "SELECT host, contact_center_api_name, telephony_base_url, sealed_private_key, \
    certificate_pem, key_generated_at FROM voice_settings WHERE account_id = $1";

/// Reads the account's voice row through `$executor`, a pool or `&mut *tx` (a macro: its type is the backend's);
/// the defaults when the account has none.
macro_rules! read_voice {
    ($executor:expr, $account_id:expr) => {{
        let row: Option<VoiceRow> =
            sqlx::query_as(SELECT_VOICE_SQL).bind($account_id).fetch_optional($executor).await?;
        row.map(StoredVoice::from).unwrap_or_default()
    }};
}

#[async_trait::async_trait]
impl VoiceStore for SqlStore {
    async fn voice(&self, account_id: i64) -> sqlx::Result<StoredVoice> {
        Ok(on_db!(self.db(), pool => read_voice!(pool, account_id)))
    }

    async fn update_voice_settings(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        settings: &VoiceSettings,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<&'static str>> {
        in_write_tx!(self.db(), tx => {
            let before = read_voice!(&mut *tx, account_id);
            let mut changed = Vec::new();
            for ((setting, old), (_, new)) in audited_values(&before.settings).into_iter().zip(audited_values(settings)) {
                if old != new {
                    record_change!(tx, account_id, changed_by_user_id, setting, old, new, now);
                    changed.push(setting);
                }
            }
            sqlx::query(
                "INSERT INTO voice_settings (account_id, host, contact_center_api_name, telephony_base_url, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (account_id) DO UPDATE SET host = excluded.host,
                    contact_center_api_name = excluded.contact_center_api_name,
                    telephony_base_url = excluded.telephony_base_url, updated_at = excluded.updated_at",
            )
            .bind(account_id)
            .bind(settings.host.as_str())
            .bind(&settings.contact_center_api_name)
            .bind(&settings.telephony_base_url)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Ok(changed)
        })
    }

    async fn replace_voice_key_pair(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        sealed_private_key: &str,
        certificate_pem: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        in_write_tx!(self.db(), tx => {
            let before = read_voice!(&mut *tx, account_id);
            let old = before.key_pair.as_ref().map(|pair| pair.generated_at.to_rfc3339());
            let new = Some(now.to_rfc3339());
            record_change!(tx, account_id, changed_by_user_id, "voice.key_pair", old, new, now);
            sqlx::query(
                "INSERT INTO voice_settings (account_id, sealed_private_key, certificate_pem, key_generated_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4)
                 ON CONFLICT (account_id) DO UPDATE SET sealed_private_key = excluded.sealed_private_key,
                    certificate_pem = excluded.certificate_pem, key_generated_at = excluded.key_generated_at,
                    updated_at = excluded.updated_at",
            )
            .bind(account_id)
            .bind(sealed_private_key)
            .bind(certificate_pem)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Ok(before.key_pair.is_some())
        })
    }
}
