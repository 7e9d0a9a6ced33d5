//! The daemon's own routes: `/healthz` (the writer's heartbeat), `/metrics` (Prometheus, for
//! supervisors), `GET /api/v1/openapi.json` (the document built from the router, mod.rs) and
//! the JSON 404 of an unknown `/api/v1` path.

use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::openapi::Document;

/// `/healthz` and `/metrics`, outside `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(metrics))
}

/// `GET /openapi.json`, inside `/api/v1`.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// The writer is alive.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    pub seq: u64,
    /// Milliseconds since the writer's last heartbeat.
    pub writer_beat_ms: u64,
}

/// 200 while the writer beats (`heartbeat.rs`); 503 `unavailable` once it has stopped or
/// has been silent for 10 s, so a monitor (and systemd's watchdog) sees a dead writer.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "`unavailable`: the writer has stopped or hangs", body = ErrorBody),
    ),
)]
pub async fn healthz(State(app): State<AppState>) -> ApiResult<Json<Health>> {
    use crate::heartbeat::WriterHealth;
    let seq = app.read.current().seq();
    match app.engine.heartbeat().health() {
        WriterHealth::Alive { age } => Ok(Json(Health {
            status: "ok",
            seq,
            writer_beat_ms: age.as_millis() as u64,
        })),
        WriterHealth::Stalled { age } => Err(ApiError::writer_down(&format!(
            "silent for {} s",
            age.as_secs()
        ))),
        WriterHealth::Stopped => Err(ApiError::writer_down("thread ended")),
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text", content_type = "text/plain"),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn metrics(State(app): State<AppState>, who: Principal) -> ApiResult<Response> {
    who.require_supervisor()?;
    let mut out = String::new();
    app.metrics.render(&mut out);
    let model = app.read.current();
    let snap = model.snapshot();
    out.push_str(
        "# HELP xephang_waiting Tickets waiting per service.\n# TYPE xephang_waiting gauge\n",
    );
    for s in snap.services() {
        out.push_str(&format!(
            "xephang_waiting{{service=\"{}\"}} {}\n",
            s.id, s.waiting
        ));
    }
    let open = snap
        .counters()
        .iter()
        .filter(|c| c.status == crate::domain::event::CounterStatus::Open)
        .count();
    out.push_str(&format!(
        "# HELP xephang_counters_open Counters open.\n# TYPE xephang_counters_open gauge\nxephang_counters_open {open}\n# HELP xephang_seq Last event sequence number.\n# TYPE xephang_seq gauge\nxephang_seq {}\n",
        snap.seq()
    ));
    {
        crate::metrics::render_day(model.stats(), &mut out);
    }
    app.engine.heartbeat().render(&mut out);
    app.devices.render(&mut out);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}

/// `GET /api/v1/openapi.json`: the document of every route (mod.rs builds it from the
/// router and hands it over as an extension).
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json(Extension(doc): Extension<Document>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.json()).into_response()
}

/// Any other path under `/api/v1`: 404 `not_found` in the API's error format.
pub async fn api_not_found() -> ApiError {
    ApiError::not_found()
}
