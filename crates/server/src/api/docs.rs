//! The OpenAPI 3.1 description of `/api` (generated from the handlers' `#[utoipa::path]` attributes and
//! the bodies' `ToSchema` derives, so it cannot drift from the code) and the routes that serve it:
//! `/api-docs/openapi.json` always, Swagger UI at `/swagger-ui/` only when configured (production
//! turns it off). Adding an endpoint means adding its handler to [`ApiDoc`]'s `paths`.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::presets::{body, content, views};
use super::{accounts, error, leaderboard, presets, worlds};
use crate::state::AppState;

/// Where the description is served.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";
/// Where Swagger UI is served (when enabled).
pub const SWAGGER_UI_PATH: &str = "/swagger-ui";

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Cosmic Gardener API", description = "Accounts, worlds, leaderboard and stats, VJ presets. \
        Errors are `{\"error\":{\"code\",\"message\",\"field\"?}}`. Times are Unix milliseconds."),
    paths(
        accounts::register, accounts::login, accounts::guest, accounts::refresh, accounts::logout,
        accounts::me, accounts::update_me, accounts::delete_me,
        worlds::list_worlds, worlds::create_world, worlds::get_world, worlds::update_world,
        worlds::join_world, worlds::leave_world, worlds::my_stats,
        leaderboard::leaderboard, leaderboard::stats,
        presets::list_presets, presets::create_preset, presets::get_preset, presets::replace_preset,
        presets::delete_preset, presets::list_versions, presets::get_version,
    ),
    components(schemas(
        error::ErrorBody, error::ErrorDetail,
        accounts::RegisterRequest, accounts::LoginRequest, accounts::RefreshRequest,
        accounts::UpdateMeRequest, accounts::UserView, accounts::TokenResponse,
        worlds::CreateWorldRequest, worlds::UpdateWorldRequest, worlds::WorldSummary, worlds::PlayerStatsView,
        leaderboard::Leaderboard, leaderboard::Stats, crate::store::StatsSummary,
        crate::store::LeaderboardEntry, crate::store::LeaderboardMetric,
        body::PresetRequest, body::LayerRequest, body::GlobalSettingsRequest,
        content::PresetContent, content::Layer, content::BlendMode, content::GlobalSettings,
        content::ParamValue, views::Preset, views::PresetSummary, views::PresetList,
        views::PresetVersionView, views::PresetVersionList,
    )),
    modifiers(&BearerScheme, &CommonResponses),
    tags(
        (name = "accounts", description = "Registration, sessions and the caller's account"),
        (name = "worlds", description = "Worlds, membership and players' figures"),
        (name = "leaderboard", description = "Rankings and totals"),
        (name = "presets", description = "Saved VJ show setups and their versions"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme (a JWT access token) the paths refer to.
#[derive(Debug)]
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_string());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// Documents, on every operation, the answers that do not depend on the handler: what the JSON body
/// extractor answers (400 malformed, 413 too large, 415 not JSON, 422 a rule broken), what a path or
/// query parameter of the wrong type gets (400), what a missing or bad token gets where a token is
/// read (401), and what the HTTP server answers any request when it must (408 too slow, 429 too many
/// connections from one address, 503 server full). An operation's own description of a code wins.
#[derive(Debug)]
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::Operation;
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let mut common = Vec::new();
                if op.request_body.is_some() {
                    common.push((
                        "400",
                        "The body is not JSON, or a value has the wrong type (`bad_request`)",
                    ));
                    common.push(("413", "The body is over 16 KiB (`payload_too_large`)"));
                    common.push((
                        "415",
                        "The body is not `application/json` (`unsupported_media_type`)",
                    ));
                    common.push((
                        "422",
                        "A value breaks a rule; `field` names it (`validation`)",
                    ));
                } else if has_params {
                    common.push((
                        "400",
                        "A parameter of the wrong type; `field` names it (`bad_request`)",
                    ));
                }
                if op.security.is_some() {
                    common.push((
                        "401",
                        "Missing, invalid or expired access token (`unauthorized`)",
                    ));
                }
                common.push((
                    "408",
                    "The request took longer than `http.request_timeout_secs` (`request_timeout`)",
                ));
                common.push((
                    "429",
                    "Too many connections from this address (`too_many_connections`), \
                    or throttled: wait `Retry-After` seconds",
                ));
                common.push((
                    "503",
                    "The server is full: only health checks are answered (`server_full`)",
                ));
                add(op, &common);
            }
        }

        fn add(op: &mut Operation, common: &[(&str, &str)]) {
            for (code, description) in common {
                op.responses
                    .responses
                    .entry((*code).to_string())
                    .or_insert_with(|| error_response(description).into());
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// The description, built once.
pub fn openapi() -> utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi).clone()
}

/// The documentation routes, at the top level (not under `/api`).
pub fn router(swagger_ui: bool) -> Router<AppState> {
    if swagger_ui {
        // Swagger UI serves the JSON too, at the same path.
        Router::from(SwaggerUi::new(SWAGGER_UI_PATH).url(OPENAPI_PATH, openapi()))
    } else {
        let json: Arc<str> = Arc::from(openapi().to_json().unwrap_or_else(|_| "{}".to_string()));
        Router::new().route(
            OPENAPI_PATH,
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        json.to_string(),
                    )
                }
            }),
        )
    }
}
