//! Password hashing with argon2id, bounded: at most four hashes at once, on
//! the blocking pool. A leaf module, used by sign-up, login and invite
//! acceptance.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{AppError, AppResult};

/// At most this many argon2 computations run at once. Each takes 19 MiB and a
/// core for tens of milliseconds; unbounded, a burst of logins would grow
/// memory with the number of blocking threads instead of queueing.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Hashes with argon2id (default parameters) on the blocking pool.
pub async fn hash_password(password: String) -> AppResult<String> {
    let _permit = HASHING.acquire().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// Verifies a password against a stored PHC string on the blocking pool.
pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    let _permit = HASHING.acquire().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            // An account with no password (imported, not claimed yet) takes
            // as long to refuse as any other, so timing tells nothing.
            Err(_) => {
                if let Ok(dummy) = PasswordHash::new(DUMMY_HASH) {
                    let _ = Argon2::default().verify_password(password.as_bytes(), &dummy);
                }
                false
            }
        }
    })
    .await
    .map_err(|_| AppError::Internal)
}

/// The password hash of an account created by a Slack import: no password
/// verifies against it, and an invite sent to its email address may set
/// one (the person claims the account; see `invites::actions::accept`).
pub const UNCLAIMED: &str = "!imported";

/// A hash of a well-formed password that nobody knows, verified when the email
/// is unknown so that both failure paths take the same time.
pub(super) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0GK9o3H2xFgUGMLOomcDTStbyf0ed/bLx2nNHcyAAaM";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_hash_is_a_valid_phc_string() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
