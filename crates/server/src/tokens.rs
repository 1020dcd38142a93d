//! Access tokens (JWT, HS256) and their settings: issuing and checking them. A leaf of the crate — the
//! API's extractor, the WebSocket upgrade and the garden's accounts all use it. Never log a token.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Default JWT secret: fine for development, refused in production.
pub const DEV_JWT_SECRET: &str = "cosmic-development-secret-do-not-use-in-production";

/// Token and password-hashing settings.
#[derive(Clone)]
pub struct AuthConfig {
    /// HMAC secret for access tokens (at least 32 bytes in production).
    pub jwt_secret: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Password hashes computed at once at most (each takes ~19 MiB and tens of milliseconds).
    pub hash_concurrency: usize,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_secret", &"<redacted>")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("hash_concurrency", &self.hash_concurrency)
            .finish()
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: DEV_JWT_SECRET.to_string(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            hash_concurrency: 2,
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
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(config.jwt_secret.as_bytes()),
        &validation,
    )
    .map(|d| d.claims)
}
