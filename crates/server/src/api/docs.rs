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

use super::{accounts, error, leaderboard, worlds};
use crate::state::AppState;

/// Where the description is served.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";
/// Where Swagger UI is served (when enabled).
pub const SWAGGER_UI_PATH: &str = "/swagger-ui";

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Cosmic Gardener API", description = "Accounts, worlds, leaderboard and stats. \
        Errors are `{\"error\":{\"code\",\"message\",\"field\"?}}`. Times are Unix milliseconds."),
    paths(
        accounts::register, accounts::login, accounts::guest, accounts::refresh, accounts::logout,
        accounts::me, accounts::update_me, accounts::delete_me,
        worlds::list_worlds, worlds::create_world, worlds::get_world, worlds::update_world,
        worlds::join_world, worlds::leave_world, worlds::my_stats,
        leaderboard::leaderboard, leaderboard::stats,
    ),
    components(schemas(
        error::ErrorBody, error::ErrorDetail,
        accounts::RegisterRequest, accounts::LoginRequest, accounts::RefreshRequest,
        accounts::UpdateMeRequest, accounts::UserView, accounts::TokenResponse,
        worlds::CreateWorldRequest, worlds::UpdateWorldRequest, worlds::WorldSummary, worlds::PlayerStatsView,
        leaderboard::Leaderboard, leaderboard::Stats, crate::store::StatsSummary,
        crate::store::LeaderboardEntry, crate::store::LeaderboardMetric,
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "accounts", description = "Registration, sessions and the caller's account"),
        (name = "worlds", description = "Worlds, membership and players' figures"),
        (name = "leaderboard", description = "Rankings and totals"),
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
