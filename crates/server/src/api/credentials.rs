//! Secrets at rest: password hashes (Argon2id with OWASP's parameters, computed off the async runtime
//! under a bounded number of permits) and refresh tokens (random, stored only as a SHA-256 hash, grouped
//! in families for rotation). Nothing here logs a password or token.

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::input::Password;
use crate::state::AppState;

/// Argon2id memory cost in KiB (OWASP: 19 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
/// Argon2id passes (OWASP: 2).
pub const ARGON2_ITERATIONS: u32 = 2;
/// Argon2id lanes (OWASP: 1).
pub const ARGON2_PARALLELISM: u32 = 1;

fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_ITERATIONS,
        ARGON2_PARALLELISM,
        None,
    )
    .map_err(ApiError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> Result<String, ApiError> {
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(ApiError::internal)?;
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(ApiError::internal)?
        .to_string())
}

/// A hash (same parameters as real ones) of a password nobody has, verified against when the account
/// does not exist so that an unknown login costs as much time as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$jnG0pSpYLq13NIqmY3vlMg$Yb/V2NDe84cDqNIHoyybXbyj0uVpw58VqPlS6CSDtGY";

fn verify_blocking(password: &str, hash: Option<&str>) -> Result<bool, ApiError> {
    let stored = hash.unwrap_or(DUMMY_HASH);
    let parsed = PasswordHash::new(stored).map_err(ApiError::internal)?;
    let ok = argon2()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    Ok(ok && hash.is_some())
}

/// Runs `work` on the blocking pool while holding one of the hashing permits.
/// Leaves the hashing queue when dropped.
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn with_permit<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let api = &state.api;
    let permit = match api.hash_permits.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            // Every hashing slot is busy: wait in a bounded queue, or be told to come back.
            let queued = api.hash_queue.fetch_add(1, Ordering::Relaxed);
            let _leave = Leave(&api.hash_queue);
            if queued >= api.auth.hash_queue {
                crate::metrics::auth::throttled("hasher_busy");
                return Err(ApiError::TooManyRequests {
                    message: "the server is busy checking passwords: try again in a second",
                    retry_after_secs: 1,
                });
            }
            api.hash_permits
                .clone()
                .acquire_owned()
                .await
                .map_err(ApiError::internal)?
        }
    };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(ApiError::internal)?
}

/// The PHC string of a new password.
pub async fn hash_password(state: &AppState, password: &Password) -> Result<String, ApiError> {
    let password = password.expose().to_string();
    with_permit(state, move || hash_blocking(&password)).await
}

/// Whether `password` matches `hash`; with no hash (unknown account, or an account without a password)
/// a dummy hash is checked instead and the answer is `false`.
pub async fn verify_password(
    state: &AppState,
    password: &str,
    hash: Option<String>,
) -> Result<bool, ApiError> {
    let password = password.to_string();
    with_permit(state, move || verify_blocking(&password, hash.as_deref())).await
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A new refresh token: 32 random bytes, hex-encoded.
pub fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex(&bytes)
}

/// A new token family id: 16 random bytes, hex-encoded.
pub fn new_family() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex(&bytes)
}

/// What is stored for a refresh token: its SHA-256, hex-encoded.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_hashed() {
        let a = new_refresh_token();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, new_refresh_token());
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hashes_verify_and_use_owasp_parameters() -> Result<(), ApiError> {
        let h = hash_blocking("correct horse battery")?;
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", Some(&h))?);
        assert!(!verify_blocking("wrong horse battery", Some(&h))?);
        assert!(!verify_blocking("not the password of anyone at all", None)?);
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let dummy = PasswordHash::new(DUMMY_HASH).map_err(ApiError::internal)?;
        assert!(
            argon2()?
                .verify_password(b"not the password of anyone at all", &dummy)
                .is_ok()
        );
        Ok(())
    }
}
