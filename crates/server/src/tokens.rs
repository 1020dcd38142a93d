//! Access tokens (JWT, HS256) and their settings: issuing and checking them. A leaf of the crate — the
//! API's extractor, the WebSocket upgrade and the garden's accounts all use it. Never log a token.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// A well-known secret, published in this repository: refused in production, warned about elsewhere.
/// Without a configured secret the server generates one per data directory (see [`secret_for`]).
pub const DEV_JWT_SECRET: &str = "cosmic-development-secret-do-not-use-in-production";

/// The `iss` of every token this server signs; a token with another issuer is refused.
pub const ISSUER: &str = "cosmic";

/// The file in the data directory holding the generated secret.
pub const SECRET_FILE: &str = "jwt-secret";

/// Token and password-hashing settings.
#[derive(Clone)]
pub struct AuthConfig {
    /// HMAC secret for access tokens (at least 32 bytes in production); empty: generated per data
    /// directory at start.
    pub jwt_secret: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Password hashes computed at once at most (each takes ~19 MiB and tens of milliseconds).
    pub hash_concurrency: usize,
    /// Requests that may wait for a hashing slot; past that they get a 429 with `Retry-After`.
    pub hash_queue: usize,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_secret", &"<redacted>")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("hash_concurrency", &self.hash_concurrency)
            .field("hash_queue", &self.hash_queue)
            .finish()
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: String::new(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            hash_concurrency: 2,
            hash_queue: 16,
        }
    }
}

/// What an access token says.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: i64,
    pub exp: u64,
    pub iat: u64,
    pub guest: bool,
    /// Always [`ISSUER`].
    pub iss: String,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Signs an access token for `user`.
pub fn issue_access(
    config: &AuthConfig,
    user: i64,
    guest: bool,
) -> Result<String, jsonwebtoken::errors::Error> {
    let iat = now_secs();
    let claims = Claims {
        sub: user,
        iat,
        exp: iat + config.access_ttl.as_secs(),
        guest,
        iss: ISSUER.to_string(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(config.jwt_secret.as_bytes()),
    )
}

/// Checks an access token's signature and expiry.
pub fn verify_access(
    config: &AuthConfig,
    token: &str,
) -> Result<Claims, jsonwebtoken::errors::Error> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(config.jwt_secret.as_bytes()),
        &validation,
    )
    .map(|d| d.claims)
}

/// The secret to sign with: the configured one, or the one generated for `data_dir` on its first start
/// (64 hex characters in `<data_dir>/jwt-secret`, readable by the owner only), so that no two
/// installations share a secret anyone can read.
pub fn secret_for(configured: &str, data_dir: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context;
    if configured == DEV_JWT_SECRET {
        tracing::warn!(
            "auth.jwt_secret is the development secret published in the repository: anyone can sign \
             tokens for this server. Leave it unset (a secret is generated per data directory) or set your own."
        );
    }
    if !configured.is_empty() {
        return Ok(configured.to_string());
    }
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => return Ok(text.trim().to_string()),
        Ok(_) => anyhow::bail!(
            "{} holds no usable secret (fewer than 32 characters): remove it to generate a new one",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let secret: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    std::io::Write::write_all(&mut file, secret.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), "Generated a token secret for this data directory.");
    Ok(secret)
}
