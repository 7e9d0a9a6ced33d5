//! `GET /api/v1/state`: the lobby's snapshot as the caller's audience may see it — the same
//! document the screens start from before following the WebSocket. The read model encodes
//! it (`snapshot_json`); [`Snapshot`] is its schema.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::command::audience;
use super::reports::Dossier;
use super::views::{Counter, Ticket};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(state))
}

/// The snapshot (docs/API.md "Snapshot, in full"); `waiting` only for staff tokens.
#[derive(ToSchema)]
pub struct Snapshot {
    pub seq: u64,
    pub day: NaiveDate,
    pub now: DateTime<FixedOffset>,
    #[schema(value_type = Object)]
    pub centre: Value,
    #[schema(value_type = Vec<Object>)]
    pub priorities: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub services: Vec<Value>,
    pub counters: Vec<Counter>,
    #[schema(value_type = Vec<Object>)]
    pub recent_calls: Vec<Value>,
    pub dossier: Option<Dossier>,
    pub waiting: Option<Vec<Ticket>>,
}

#[utoipa::path(
    get,
    path = "/state",
    tag = "board",
    security((), ("bearer" = [])),
    responses((status = 200, body = Snapshot)),
)]
pub async fn state(State(app): State<AppState>, who: Principal) -> Response {
    let body = app.read.current().snapshot_json(audience(&who), app.now());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
