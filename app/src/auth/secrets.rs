//! Random secrets (API tokens, invite links, socket tickets) and their
//! hashes at rest. A leaf module: the token, invite and realtime modules use
//! it without importing the auth server module (and, through it, the
//! application state that imports them back).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new high-entropy secret (`<prefix><43 url-safe chars>`) and its SHA-256.
/// Tokens and invite links are random, so a fast hash is enough at rest.
pub fn new_secret(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let raw = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_secret(&raw);
    (raw, hash)
}

/// SHA-256 of a secret, as stored.
pub fn hash_secret(raw: &str) -> Vec<u8> {
    Sha256::digest(raw.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hashed() {
        let (a, ha) = new_secret("tsp_");
        let (b, _) = new_secret("tsp_");
        assert!(a.starts_with("tsp_") && a.len() == 4 + 43);
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a), ha);
    }
}
