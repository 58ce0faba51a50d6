//! Salesforce Voice's credentials, held by the engine because it holds the token key: the key pair an
//! administrator generates (an RSA 2048 key and its self-signed X.509 certificate, with `rcgen` on aws-lc-rs), its
//! private key sealed like the org's tokens, and the [`TelephonyClient`] built from the account's settings, its
//! linked org's id and that key.
//!
//! Generating again replaces the pair: from then on tokens are signed with the new key, and Salesforce refuses them
//! (401 `INVALID_JWT`) until the administrator uploads the new certificate to the contact center.
//!
//! Also the caller search the Salesforce Voice connector needs (`search_caller`): a connector cannot query the
//! org, so the server searches for it, with the sync engine's link.

use super::SyncEngine;
use crate::salesforce::cipher::CipherError;
use crate::salesforce::record::Record;
use crate::salesforce::search::{candidate, phone_search_digits, phone_search_sosl};
use crate::salesforce::telephony::{TelephonyClient, TelephonyIdentity};
use crate::salesforce::{RetryClass, SalesforceError};
use callpop_core::legacy::phone_matches;
use callpop_core::record::RecordMatch;
use chrono::{DateTime, Datelike, Utc};

/// The certificate's subject: what the administrator sees on the contact center.
const CERTIFICATE_COMMON_NAME: &str = "callpop Telephony Integration";

/// How long a generated certificate is valid, in years.
const CERTIFICATE_YEARS: i32 = 10;

/// Why the account cannot call the Telephony Integration API yet; each names what the administrator does next.
#[derive(Debug, thiserror::Error)]
pub enum VoiceSetupError {
    #[error("the Salesforce Voice settings name no contact center: set contact_center_api_name first")]
    NoContactCenter,
    #[error("the Salesforce Voice settings name no Telephony Integration URL: set telephony_base_url first")]
    NoBaseUrl,
    #[error("no Telephony Integration key pair yet: generate one (POST /api/v1/settings/voice/key-pair)")]
    NoKeyPair,
    #[error("the account's Salesforce org is not linked, so its org id (the tokens' issuer) is unknown")]
    NotLinked,
    #[error("the stored private key does not open: {0}")]
    Sealed(#[from] CipherError),
    #[error(transparent)]
    Key(#[from] SalesforceError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Why the connector's caller search found nothing to offer.
#[derive(Debug, thiserror::Error)]
pub enum CallerSearchError {
    #[error("the account's Salesforce org is not linked, or its link needs the administrator")]
    NotLinked,
    #[error("Salesforce did not answer the search: {0}")]
    Salesforce(#[from] SalesforceError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A search hit as a record the connector offers: a Lead or Contact with one of the caller's numbers (the digits
/// checked again, as the sync engine does), not a converted Lead.
fn caller_match(record: &Record, digits: &[String]) -> Option<RecordMatch> {
    let found = candidate(record)?;
    if found.is_converted || !found.phones.iter().any(|phone| phone_matches(phone, digits)) {
        return None;
    }
    Some(RecordMatch {
        id: found.id,
        object: record.object.clone(),
        name: record.text("Name").unwrap_or_default().to_owned(),
        phone: found.phones.first().cloned(),
        detail: None,
        last_modified: found.last_modified,
    })
}

/// A new key pair: the PKCS#8 PEM private key and the PEM certificate.
struct GeneratedKeyPair {
    private_key_pem: String,
    certificate_pem: String,
}

/// Generates an RSA 2048 key and a certificate signed by it, valid from `now` for [`CERTIFICATE_YEARS`].
fn generate_key_pair(now: DateTime<Utc>) -> anyhow::Result<GeneratedKeyPair> {
    let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(rcgen::DnType::CommonName, CERTIFICATE_COMMON_NAME);
    let (year, month, day) = (now.year(), u8::try_from(now.month())?, u8::try_from(now.day())?);
    params.not_before = rcgen::date_time_ymd(year, month, day);
    params.not_after = rcgen::date_time_ymd(year + CERTIFICATE_YEARS, month, day.min(28));
    let certificate = params.self_signed(&key_pair)?;
    Ok(GeneratedKeyPair { private_key_pem: key_pair.serialize_pem(), certificate_pem: certificate.pem() })
}

/// The sealing context of an account's private key: a sealed key copied to another account does not open.
fn key_context(account_id: i64) -> String {
    format!("account:{account_id}:voice_private_key")
}

impl SyncEngine {
    /// Generates the account's key pair, replacing any earlier one, and stores the private key sealed. Returns the
    /// new certificate (PEM) and whether an earlier pair was replaced.
    pub async fn generate_voice_key_pair(&self, account_id: i64, user_id: i64) -> anyhow::Result<(String, bool)> {
        let now = Utc::now();
        // RSA key generation takes a noticeable share of a second: off the async threads.
        let generated = tokio::task::spawn_blocking(move || generate_key_pair(now)).await??;
        let sealed = self.cipher.seal(&generated.private_key_pem, &key_context(account_id));
        let replaced =
            self.store.replace_voice_key_pair(account_id, user_id, &sealed, &generated.certificate_pem, now).await?;
        Ok((generated.certificate_pem, replaced))
    }

    /// The caller's Leads and Contacts in the account's org, for the Salesforce Voice connector's record choice
    /// (`callpop_core::voice::voice_pop`): the sync engine's phone search (`salesforce::search`). A session
    /// Salesforce says expired is refreshed once (single flight with the engine's own refreshes) and the search
    /// sent again.
    pub async fn search_caller(
        &self,
        account_id: i64,
        caller_e164: &str,
    ) -> Result<Vec<RecordMatch>, CallerSearchError> {
        let Ok(number) = phonenumber::parse(None, caller_e164) else { return Ok(Vec::new()) };
        let digits = phone_search_digits(&number);
        let sosl = phone_search_sosl(&digits, 1);
        let mut refreshed = false;
        loop {
            let link = self.link_for(account_id).await?.ok_or(CallerSearchError::NotLinked)?;
            match link.client.search(&sosl).await {
                Ok(records) => return Ok(records.iter().filter_map(|record| caller_match(record, &digits)).collect()),
                Err(error) if !refreshed && error.retry_class() == RetryClass::Session => {
                    refreshed = true;
                    if self.refresh_link(account_id, &link.sealed_access_token).await.is_err() {
                        return Err(error.into());
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// The account's Telephony Integration client: its settings' URL and contact center, its linked org's id and
    /// its private key, on the engine's HTTP client (the sync engine's timeouts, no redirects).
    pub async fn telephony_client(&self, account_id: i64) -> Result<TelephonyClient, VoiceSetupError> {
        let voice = self.store.voice(account_id).await?;
        let contact_center_api_name = voice.settings.contact_center_api_name.ok_or(VoiceSetupError::NoContactCenter)?;
        let base_url = voice.settings.telephony_base_url.ok_or(VoiceSetupError::NoBaseUrl)?;
        let key_pair = voice.key_pair.ok_or(VoiceSetupError::NoKeyPair)?;
        let connection = self.store.connection(account_id).await?;
        let org_id = connection.and_then(|connection| connection.org_id).ok_or(VoiceSetupError::NotLinked)?;
        let private_key_pem = self.cipher.open(&key_pair.sealed_private_key, &key_context(account_id))?;
        let identity = TelephonyIdentity { org_id, contact_center_api_name, private_key_pem };
        Ok(TelephonyClient::new(self.http.clone(), &base_url, identity)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pair_is_an_rsa_key_and_a_certificate_of_it() {
        let generated = generate_key_pair(Utc::now()).unwrap();
        assert!(generated.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(generated.certificate_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        // The certificate's key verifies what the private key signs.
        let signing = jsonwebtoken::EncodingKey::from_rsa_pem(generated.private_key_pem.as_bytes()).unwrap();
        let verifying = jsonwebtoken::DecodingKey::from_rsa_pem(generated.certificate_pem.as_bytes()).unwrap();
        let claims = serde_json::json!({"sub": "Acme_CC", "exp": Utc::now().timestamp() + 60});
        let token = jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256), &claims, &signing)
            .unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.validate_aud = false;
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &verifying, &validation).is_ok());
    }
}
