//! Random secrets (API keys, session tokens, stream tickets, OAuth states) and their stored form, a SHA-256 hash.

use rand::Rng;
use sha2::{Digest, Sha256};

/// A new random secret: the prefix and 32 base-62 characters.
pub fn new_secret(prefix: &str) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let body: String = (0..32).map(|_| char::from(BASE62[rng.random_range(0..BASE62.len())])).collect();
    format!("{prefix}{body}")
}

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
