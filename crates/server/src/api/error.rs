//! The API's one error type and the extractors that turn axum's rejections into it.
//!
//! Every failure under `/api` answers `{"error":{"code":"…","message":"…","field":"…"?}}`. Expected
//! failures (bad input, auth, conflicts) say what went wrong; unexpected ones are an opaque 500 whose
//! cause is logged here, never sent to the client. This module must not log request bodies: they may
//! hold passwords or tokens.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::store::StoreError;

/// A failed API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, a parameter of the wrong type).
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<String>,
    },
    /// 422: the request was read but a value is not allowed.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404.
    #[error("{0}")]
    NotFound(&'static str),
    /// 409: the write clashes with existing data; `code` is `conflict` or a more precise one.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    /// 413: the body is over the API's limit.
    #[error("request body is too large")]
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: try again after `retry_after_secs` (sent as `Retry-After`).
    #[error("{message}")]
    TooManyRequests {
        message: &'static str,
        retry_after_secs: u64,
    },
    /// 403 `quota_exceeded`: the caller's account may not have more of this, or this large (guests
    /// have smaller quotas than registered players). `field` names the request field at fault.
    #[error("{message}")]
    QuotaExceeded {
        field: Option<&'static str>,
        message: String,
    },
    /// 503 `simulation_budget_exhausted`: this node's simulation budget (or the owner's share of it)
    /// is taken; try again after `retry_after_secs`, or with a smaller world.
    #[error("{message}")]
    BudgetExhausted {
        message: String,
        retry_after_secs: u64,
    },
    /// 500: anything unexpected. The cause is logged, the client sees an opaque message.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, in a form a client can branch on (`code`) and show (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `validation`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `world_full`,
    /// `payload_too_large`, `unsupported_media_type`, `method_not_allowed`, `too_many_requests`,
    /// `quota_exceeded`, `simulation_budget_exhausted`, `request_timeout` or `internal`.
    pub code: String,
    pub message: String,
    /// The field or parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// 422 for `field`.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// 400 naming `field`.
    pub fn bad_param(field: &str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    /// 500 for an unexpected failure (logged when the response is made).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str, Option<&str>) {
        match self {
            Self::BadRequest { field, .. } => {
                (StatusCode::BAD_REQUEST, "bad_request", field.as_deref())
            }
            Self::Validation { field, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "validation", Some(field))
            }
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            Self::Conflict { code, field, .. } => (StatusCode::CONFLICT, code, field.as_deref()),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                None,
            ),
            Self::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", None)
            }
            Self::QuotaExceeded { field, .. } => (StatusCode::FORBIDDEN, "quota_exceeded", *field),
            Self::BudgetExhausted { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "simulation_budget_exhausted",
                None,
            ),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None),
        }
    }
}

/// A JSON error response outside [`ApiError`]'s variants (the 405 fallback).
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message: message.to_string(),
            field: None,
        },
    };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, field) = self.parts();
        let message = match &self {
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "API request failed.");
                "internal server error".to_string()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                field: field.map(str::to_string),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Self::TooManyRequests {
            retry_after_secs, ..
        }
        | Self::BudgetExhausted {
            retry_after_secs, ..
        } = self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                retry_after_secs.max(1).into(),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(field) => Self::Conflict {
                code: "conflict",
                field: Some(field.to_string()),
                message: format!("{field} is already taken"),
            },
            StoreError::NotFound => Self::NotFound("not found"),
            // The caller's account (or the world) was deleted between the token check and the write.
            StoreError::Gone => Self::NotFound("what this refers to no longer exists"),
            other => Self::internal(other),
        }
    }
}

impl From<crate::quotas::Refusal> for ApiError {
    fn from(r: crate::quotas::Refusal) -> Self {
        use crate::quotas::Refusal;
        let secs = |d: std::time::Duration| d.as_secs_f64().ceil() as u64;
        match r {
            Refusal::Quota { field, message } => Self::QuotaExceeded { field, message },
            Refusal::Rate {
                message,
                retry_after,
            } => Self::TooManyRequests {
                message,
                retry_after_secs: secs(retry_after),
            },
            Refusal::Budget {
                message,
                retry_after,
            } => Self::BudgetExhausted {
                message,
                retry_after_secs: secs(retry_after),
            },
        }
    }
}

/// The field a serde message names (`missing field `x``, `unknown field `x``), if any.
fn serde_field(text: &str) -> Option<String> {
    let start = text.find("field `")? + "field `".len();
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_string())
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(
                "expected a body with `Content-Type: application/json`".into(),
            ),
            _ => {
                let text = r.body_text();
                let message = match &r {
                    JsonRejection::JsonSyntaxError(_) => format!("malformed JSON: {text}"),
                    _ => format!("invalid request body: {text}"),
                };
                Self::BadRequest {
                    field: serde_field(&text),
                    message,
                }
            }
        }
    }
}

/// `axum::Json` whose rejections are [`ApiError`]s (400, 413, 415 with our body).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// `axum::extract::Path` whose rejections are 400s naming the parameter.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                // A single unnamed value (`Path<i64>`) has no key: every such path of ours is `{id}`.
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. } => key.as_str(),
                    _ => "id",
                };
                Err(ApiError::bad_param(
                    field,
                    format!("invalid path parameter: {}", e.body_text()),
                ))
            }
            Err(e) => Err(ApiError::internal(e.body_text())),
        }
    }
}

/// `axum::extract::Query` whose rejections are 400s.
#[derive(Debug, Clone, Copy)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::BadRequest {
                field: serde_field(&e.body_text()),
                message: format!("invalid query string: {}", e.body_text()),
            }),
            Err(e) => Err(ApiError::BadRequest {
                field: None,
                message: e.body_text(),
            }),
        }
    }
}

/// Answers unknown `/api/…` paths.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such API endpoint")
}

/// Answers a known path with a method it does not have.
pub async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}

#[cfg(test)]
mod tests {
    use super::serde_field;

    #[test]
    fn names_the_field_of_a_serde_message() {
        assert_eq!(
            serde_field("missing field `password` at line 1 column 2").as_deref(),
            Some("password")
        );
        assert_eq!(serde_field("expected value at line 1"), None);
    }
}
