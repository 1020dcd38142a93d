//! Accounts and refresh tokens. Refresh tokens are stored hashed; a token is single-use (rotation) and
//! belongs to a family that is revoked as a whole when a used token comes back.

use super::{Result, Store, StoreError, now_ms, on_pool};

/// An account (guests have no username, email or password until they add them).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub is_guest: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A new account's fields, already validated.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub is_guest: bool,
}

/// A stored refresh token (its hash, never the token).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RefreshToken {
    pub id: i64,
    pub user_id: i64,
    pub family: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl Store {
    pub async fn create_user(&self, new: &NewUser) -> Result<User> {
        let now = now_ms();
        let user = on_pool!(self, p => sqlx::query_as::<_, User>(
            "INSERT INTO users (username, email, password_hash, is_guest, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, username, email, password_hash, is_guest, created_at, updated_at")
            .bind(&new.username)
            .bind(&new.email)
            .bind(&new.password_hash)
            .bind(new.is_guest)
            .bind(now)
            .bind(now)
            .fetch_one(p)
            .await)?;
        Ok(user)
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        Ok(on_pool!(self, p => sqlx::query_as::<_, User>(
            "SELECT id, username, email, password_hash, is_guest, created_at, updated_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(p)
            .await)?)
    }

    /// The account whose email or username is `login` (emails are stored lower-case).
    pub async fn user_by_login(&self, login: &str) -> Result<User> {
        Ok(on_pool!(self, p => sqlx::query_as::<_, User>(
            "SELECT id, username, email, password_hash, is_guest, created_at, updated_at FROM users \
             WHERE email = $1 OR username = $2")
            .bind(login.to_lowercase())
            .bind(login)
            .fetch_one(p)
            .await)?)
    }

    /// Changes the given fields (others stay); a guest that gains email and password stops being a guest.
    pub async fn update_user(
        &self,
        id: i64,
        username: Option<&str>,
        email: Option<&str>,
        password_hash: Option<&str>,
    ) -> Result<User> {
        Ok(on_pool!(self, p => sqlx::query_as::<_, User>(
            "UPDATE users SET username = COALESCE($1, username), email = COALESCE($2, email), \
             password_hash = COALESCE($3, password_hash), \
             is_guest = (COALESCE($4, email) IS NULL OR COALESCE($5, password_hash) IS NULL), updated_at = $6 \
             WHERE id = $7 \
             RETURNING id, username, email, password_hash, is_guest, created_at, updated_at")
            .bind(username)
            .bind(email)
            .bind(password_hash)
            .bind(email)
            .bind(password_hash)
            .bind(now_ms())
            .bind(id)
            .fetch_one(p)
            .await)?)
    }

    pub async fn delete_user(&self, id: i64) -> Result<()> {
        let done = on_pool!(self, p => sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Removes up to `limit` guest accounts with no sign of use since `cutoff` (Unix ms): created,
    /// changed, refreshed and played before it. Returns their ids. Their refresh tokens and
    /// memberships go with them (foreign keys), their worlds stay without an owner, and their figures
    /// in worlds are removed.
    pub async fn delete_stale_guests(&self, cutoff: i64, limit: i64) -> Result<Vec<i64>> {
        let ids: Vec<(i64,)> = on_pool!(self, p => sqlx::query_as(
            "DELETE FROM users WHERE id IN (SELECT u.id FROM users u \
               WHERE u.is_guest = $1 AND u.created_at < $2 AND u.updated_at < $2 \
               AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.user_id = u.id AND r.created_at >= $2) \
               AND NOT EXISTS (SELECT 1 FROM player_stats s WHERE s.user_id = u.id AND s.updated_at >= $2) \
               ORDER BY u.id LIMIT $3) \
             RETURNING id")
            .bind(true)
            .bind(cutoff)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        if !ids.is_empty() {
            on_pool!(self, p => sqlx::query(
                "DELETE FROM player_stats WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = player_stats.user_id)")
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    pub async fn insert_refresh_token(
        &self,
        user_id: i64,
        token_hash: &str,
        family: &str,
        expires_at: i64,
    ) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO refresh_tokens (user_id, token_hash, family, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(token_hash)
            .bind(family)
            .bind(expires_at)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Marks the token used; returns it as it was before (so a second use shows `revoked_at`).
    pub async fn take_refresh_token(&self, token_hash: &str) -> Result<RefreshToken> {
        let token = on_pool!(self, p => sqlx::query_as::<_, RefreshToken>(
            "SELECT id, user_id, family, expires_at, revoked_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_one(p)
            .await)?;
        if token.revoked_at.is_none() {
            let done = on_pool!(self, p => sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(token.id)
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
            if done == 0 {
                // Raced with another use of the same token: treat as reuse.
                return Ok(RefreshToken {
                    revoked_at: Some(now_ms()),
                    ..token
                });
            }
        }
        Ok(token)
    }

    /// Revokes every token of a family (logout, or reuse of a rotated token).
    pub async fn revoke_family(&self, family: &str) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(family)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The family of a stored token, if the token exists.
    pub async fn refresh_family(&self, token_hash: &str) -> Result<String> {
        Ok(on_pool!(self, p => sqlx::query_scalar::<_, String>(
            "SELECT family FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_one(p)
            .await)?)
    }
}
