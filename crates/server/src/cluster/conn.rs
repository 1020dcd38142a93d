//! The cluster's Redis connection: one [`ConnectionManager`] (it reconnects by itself), every call bounded
//! by a short timeout and counted when it fails, and the small Lua scripts that make lease changes atomic.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue};

use crate::metrics::names::CLUSTER_REDIS_ERRORS_TOTAL;

/// How long one call may take before it counts as failed.
pub const OP_TIMEOUT: Duration = Duration::from_millis(500);

/// Why a Redis call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("Redis gave no answer within {0:?}")]
    Timeout(Duration),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

/// A cheap-to-clone, bounded Redis connection.
#[derive(Clone)]
pub struct Redis {
    manager: ConnectionManager,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis").finish_non_exhaustive()
    }
}

impl Redis {
    /// A lazy connection to `url`: fails only on a malformed URL.
    pub fn connect(url: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self { manager })
    }

    /// Runs `cmd` within [`OP_TIMEOUT`].
    pub async fn run<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RedisError> {
        let mut conn = self.manager.clone();
        bounded(cmd.query_async::<T>(&mut conn)).await
    }

    /// Runs `pipe` (one round trip) within [`OP_TIMEOUT`].
    pub async fn run_pipeline<T: FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, RedisError> {
        let mut conn = self.manager.clone();
        bounded(pipe.query_async::<T>(&mut conn)).await
    }

    /// `EVAL script` with `keys` and `args`.
    pub async fn eval<T: FromRedisValue>(
        &self,
        script: &str,
        keys: &[&str],
        args: &[String],
    ) -> Result<T, RedisError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(script).arg(keys.len()).arg(keys).arg(args);
        self.run(&cmd).await
    }
}

/// `call` within [`OP_TIMEOUT`], counted when it fails.
async fn bounded<T>(
    call: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, RedisError> {
    let result = match tokio::time::timeout(OP_TIMEOUT, call).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(RedisError::Redis(e)),
        Err(_) => Err(RedisError::Timeout(OP_TIMEOUT)),
    };
    if result.is_err() {
        metrics::counter!(CLUSTER_REDIS_ERRORS_TOTAL).increment(1);
    }
    result
}
