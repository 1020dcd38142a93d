//! Values parsed once at the edge: handlers turn raw request strings into these, and everything past
//! the handler receives valid values only. A parse failure is a 422 naming the field.

use serde::Deserialize;

use super::error::ApiError;

/// A display and login name: 3–32 ASCII letters, digits, `_` or `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err(ApiError::validation(
                "username",
                "username must be 3 to 32 characters long",
            ));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ApiError::validation(
                "username",
                "username may contain only ASCII letters, digits, `_` and `-`",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, trimmed and lower-cased: one `@`, a dot in the domain, at most 254 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let email = raw.trim().to_lowercase();
        let invalid = || ApiError::validation("email", "email must look like name@example.com");
        if email.chars().count() > 254 {
            return Err(ApiError::validation(
                "email",
                "email must be at most 254 characters",
            ));
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–128 characters. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// 8 to 128 characters as typed (what the API description says), not only spaces or control
    /// characters; kept NFKC-normalised (the same password typed on another keyboard or system hashes
    /// the same).
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let password = normalize_password(raw);
        let len = raw.chars().count();
        if !(8..=128).contains(&len) {
            return Err(ApiError::validation(
                "password",
                "password must be 8 to 128 characters long",
            ));
        }
        if password
            .chars()
            .all(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ApiError::validation(
                "password",
                "password must have visible characters, not only spaces or control characters",
            ));
        }
        Ok(Self(password))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A password as it is hashed: its NFKC form.
pub fn normalize_password(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    raw.nfkc().collect()
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A secret as it arrives in a request body (a password or token), not yet parsed. `Debug` hides it.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An integer query parameter: 400 naming `field` when it is not one.
pub fn query_int(field: &str, raw: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse()
        .map_err(|_| ApiError::bad_param(field, format!("{field} must be an integer")))
}

/// A boolean query parameter (`true` or `false`): 400 naming `field` otherwise.
pub fn query_bool(field: &str, raw: &str) -> Result<bool, ApiError> {
    match raw.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::bad_param(
            field,
            format!("{field} must be true or false"),
        )),
    }
}

/// An optional integer field that also takes a number with no fraction (`39.0`), as JSON Schema's
/// `integer` does; `39.5` is refused. Use with `#[serde(default, deserialize_with = "input::whole")]`.
pub fn whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct Whole;
    impl<'de> serde::de::Visitor<'de> for Whole {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an integer")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("integer out of range"))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // 2^63 is the first float past i64::MAX.
            if v.fract() == 0.0
                && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v)
            {
                Ok(Some(v as i64))
            } else {
                Err(E::invalid_type(serde::de::Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_option(Whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_take_integral_floats_only() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "whole")]
            n: Option<i64>,
        }
        let n = |json: &str| serde_json::from_str::<T>(json).map(|t| t.n).ok();
        assert_eq!(n(r#"{"n": 39}"#), Some(Some(39)));
        assert_eq!(n(r#"{"n": 39.0}"#), Some(Some(39)));
        assert_eq!(n(r#"{"n": -1e3}"#), Some(Some(-1000)));
        assert_eq!(n(r#"{"n": null}"#), Some(None));
        assert_eq!(n("{}"), Some(None));
        for bad in [
            r#"{"n": 39.5}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": "3"}"#,
            r#"{"n": 18446744073709551615}"#,
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert!(Username::parse("ada_l-1").is_ok());
        for bad in ["ab", "has space", "ünïcode", &"x".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ")
                .map(|e| e.0)
                .ok()
                .as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "ada",
            "ada@example",
            "@example.com",
            "a@b@c.com",
            "a@.com",
            "a b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn passwords_and_their_debug() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        assert!(Password::parse("          ").is_err(), "spaces only");
        assert!(
            Password::parse("\t\n\u{7}\u{1b}\t\n\u{7}\u{1b}").is_err(),
            "controls only"
        );
        // The full-width and the ASCII forms are the same password.
        let wide = Password::parse("ｃｏｒｒｅｃｔ ｈｏｒｓｅ")
            .map_err(|_| ())
            .ok();
        assert_eq!(wide.map(|p| p.0), Some("correct horse".to_string()));
        let p = Password::parse("correct horse").map_err(|_| ()).ok();
        assert_eq!(format!("{p:?}"), "Some(Password(<redacted>))");
    }
}
