//! Secrets from AWS: a secret setting (`auth.jwt_secret`, `database.url`, `redis.url`) whose value is
//! `aws-ssm:<parameter name>` (Systems Manager Parameter Store, decrypted) or `aws-sm:<secret id>` (Secrets
//! Manager) is replaced at startup by what AWS holds, with the default credential chain (environment,
//! profile, instance or task role). Fetching needs the cargo feature `aws-secrets` (off by default, so the
//! usual build carries no AWS SDK); without it such a value is refused, naming the key.

use anyhow::Context;

use crate::app::Config;

/// Where a secret lives in AWS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// A Parameter Store parameter (SecureString values are decrypted).
    Ssm(String),
    /// A Secrets Manager secret (its string value).
    SecretsManager(String),
}

impl Reference {
    /// Parses `aws-ssm:NAME` / `aws-sm:ID`; other values are not references.
    pub fn parse(value: &str) -> Option<Self> {
        if let Some(name) = value.strip_prefix("aws-ssm:") {
            return Some(Self::Ssm(name.to_string()));
        }
        value
            .strip_prefix("aws-sm:")
            .map(|id| Self::SecretsManager(id.to_string()))
    }

    fn describe(&self) -> String {
        match self {
            Self::Ssm(name) => format!("SSM parameter {name:?}"),
            Self::SecretsManager(id) => format!("Secrets Manager secret {id:?}"),
        }
    }
}

/// Replaces every secret setting that refers to AWS by its value.
pub async fn resolve(mut config: Config) -> anyhow::Result<Config> {
    let mut slots: Vec<(&str, &mut String)> =
        vec![("auth.jwt_secret", &mut config.auth.jwt_secret)];
    if let Some(url) = config.database_url.as_mut() {
        slots.push(("database.url", url));
    }
    if let Some(url) = config.redis_url.as_mut() {
        slots.push(("redis.url", url));
    }
    for (key, value) in slots {
        if let Some(reference) = Reference::parse(value) {
            *value = fetch(key, &reference)
                .await
                .with_context(|| format!("{key}: cannot read {}", reference.describe()))?;
        }
    }
    Ok(config)
}

#[cfg(feature = "aws-secrets")]
async fn fetch(key: &str, reference: &Reference) -> anyhow::Result<String> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let value = match reference {
        Reference::Ssm(name) => aws_sdk_ssm::Client::new(&sdk)
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await?
            .parameter()
            .and_then(|p| p.value())
            .map(str::to_string),
        Reference::SecretsManager(id) => aws_sdk_secretsmanager::Client::new(&sdk)
            .get_secret_value()
            .secret_id(id)
            .send()
            .await?
            .secret_string()
            .map(str::to_string),
    };
    let value = value.with_context(|| format!("{key}: AWS returned no value"))?;
    tracing::info!(key, "Secret read from AWS.");
    Ok(value)
}

#[cfg(not(feature = "aws-secrets"))]
async fn fetch(key: &str, _reference: &Reference) -> anyhow::Result<String> {
    anyhow::bail!(
        "{key} refers to AWS, but this build has no AWS support: build with `cargo build --release --features aws-secrets`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_recognised_and_plain_values_are_not() {
        assert_eq!(
            Reference::parse("aws-ssm:/cosmic/jwt"),
            Some(Reference::Ssm("/cosmic/jwt".into()))
        );
        assert_eq!(
            Reference::parse("aws-sm:prod/cosmic/db"),
            Some(Reference::SecretsManager("prod/cosmic/db".into()))
        );
        assert_eq!(Reference::parse("postgres://u@h/db"), None);
        assert_eq!(Reference::parse("a-plain-secret"), None);
    }

    #[cfg(not(feature = "aws-secrets"))]
    #[tokio::test]
    async fn without_the_feature_a_reference_is_refused_naming_the_key() {
        let mut config = Config::default();
        config.auth.jwt_secret = "aws-ssm:/cosmic/jwt".into();
        let e = resolve(config).await.unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains("auth.jwt_secret") && text.contains("aws-secrets"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn plain_values_pass_through() {
        let mut config = Config::default();
        config.auth.jwt_secret = "x".repeat(40);
        config.database_url = Some("postgres://u@h/db".into());
        let out = resolve(config).await.unwrap();
        assert_eq!(out.auth.jwt_secret, "x".repeat(40));
    }
}
