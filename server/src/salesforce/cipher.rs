//! Salesforce tokens encrypted at rest: `TokenCipher` seals each access and refresh token with XChaCha20-Poly1305
//! (the `chacha20poly1305` crate) under a 32-byte key from the configuration, base64-encoded.
//!
//! The server refuses to start without a key outside the demo: a refresh token is a standing credential to the
//! customer's org, and the database must not be enough to use it. (Reading the key from the configuration and
//! refusing to start is the sync engine's wiring; this module provides the type.)
//!
//! A sealed token is `v1.` + base64url(nonce ‖ ciphertext ‖ tag). The 24-byte nonce is random per seal, which
//! XChaCha's nonce size makes safe. Each seal is bound to a context (say `account:42:refresh`) as associated data,
//! so a sealed token copied into another account's row, or into the other token's column, does not open.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use std::fmt;

const VERSION_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

/// Why a key or a sealed token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("the token encryption key must be {KEY_LEN} bytes, base64-encoded")]
    BadKey,
    #[error("this is not a token sealed by callpop")]
    Malformed,
    #[error("the token does not open with this key and context (wrong key, or copied from elsewhere)")]
    DoesNotOpen,
}

/// Seals and opens Salesforce tokens.
#[derive(Clone)]
pub struct TokenCipher {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for TokenCipher {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("TokenCipher(<key redacted>)")
    }
}

impl TokenCipher {
    /// A cipher from the configured key: 32 bytes in standard or URL-safe base64.
    pub fn from_base64_key(encoded: &str) -> Result<Self, CipherError> {
        let encoded = encoded.trim();
        let bytes = STANDARD
            .decode(encoded)
            .or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')))
            .map_err(|_| CipherError::BadKey)?;
        let key = Key::try_from(bytes.as_slice()).map_err(|_| CipherError::BadKey)?;
        Ok(Self { cipher: XChaCha20Poly1305::new(&key) })
    }

    /// A new random key, base64-encoded, for an operator to put in the configuration.
    pub fn generate_key() -> String {
        STANDARD.encode(Key::generate())
    }

    /// Seals `token` for `context`.
    pub fn seal(&self, token: &str, context: &str) -> String {
        let nonce = XNonce::generate();
        let payload = Payload { msg: token.as_bytes(), aad: context.as_bytes() };
        // Encryption into a Vec cannot fail for inputs this size; the aead API still returns a Result.
        let sealed = self.cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{VERSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Opens a token sealed for `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, CipherError> {
        let encoded = sealed.strip_prefix(VERSION_PREFIX).ok_or(CipherError::Malformed)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| CipherError::Malformed)?;
        if bytes.len() < NONCE_LEN {
            return Err(CipherError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CipherError::Malformed)?;
        let plain = self
            .cipher
            .decrypt(&nonce, Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| CipherError::DoesNotOpen)?;
        String::from_utf8(plain).map_err(|_| CipherError::DoesNotOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> TokenCipher {
        TokenCipher::from_base64_key(&TokenCipher::generate_key()).unwrap()
    }

    #[test]
    fn a_sealed_token_opens_with_the_same_key_and_context() {
        let cipher = cipher();
        let sealed = cipher.seal("5Aep861TSESvWeug_xvFHRBTTbf", "account:42:refresh");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("5Aep861"));
        assert_eq!(cipher.open(&sealed, "account:42:refresh").unwrap(), "5Aep861TSESvWeug_xvFHRBTTbf");
    }

    #[test]
    fn sealing_twice_gives_different_text() {
        let cipher = cipher();
        assert_ne!(cipher.seal("same", "ctx"), cipher.seal("same", "ctx"));
    }

    #[test]
    fn another_key_another_context_or_a_flipped_bit_does_not_open() {
        let cipher = cipher();
        let sealed = cipher.seal("token", "account:42:access");
        assert_eq!(self::cipher().open(&sealed, "account:42:access"), Err(CipherError::DoesNotOpen));
        assert_eq!(cipher.open(&sealed, "account:43:access"), Err(CipherError::DoesNotOpen));
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1.{}", URL_SAFE_NO_PAD.encode(bytes));
        assert_eq!(cipher.open(&tampered, "account:42:access"), Err(CipherError::DoesNotOpen));
        assert_eq!(cipher.open("plaintext-token", "ctx"), Err(CipherError::Malformed));
        assert_eq!(cipher.open("v1.AAAA", "ctx"), Err(CipherError::Malformed));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert_eq!(TokenCipher::from_base64_key("c2hvcnQ=").unwrap_err(), CipherError::BadKey);
        assert_eq!(TokenCipher::from_base64_key("not base64!").unwrap_err(), CipherError::BadKey);
        let url_safe = URL_SAFE_NO_PAD.encode([7u8; 32]);
        assert!(TokenCipher::from_base64_key(&url_safe).is_ok());
        assert_eq!(format!("{:?}", cipher()), "TokenCipher(<key redacted>)");
    }
}
