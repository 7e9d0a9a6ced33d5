//! Read routes that never wait for the writer (health, snapshot, me, stats, report,
//! metrics), plus the dossier figures the centre's one-stop software pushes.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Principal;
use super::error::{ApiError, ApiJson, ApiResult};
use super::tickets::run;
use super::{openapi, AppState};
use crate::domain::Command;
use crate::read::history::model_of_day;
use crate::view::{self, Audience};

/// 200 while the writer beats (`heartbeat.rs`); 503 `unavailable` once it has stopped or
/// has been silent for 10 s, so a monitor (and systemd's watchdog) sees a dead writer.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses(
        (status = 200, body = openapi::Health),
        (status = 503, description = "`unavailable`: the writer has stopped or hangs", body = openapi::ErrorBody),
    ),
)]
pub async fn healthz(State(app): State<AppState>) -> ApiResult<Json<Value>> {
    use crate::heartbeat::WriterHealth;
    let seq = app.read.current().seq();
    match app.engine.heartbeat().health() {
        WriterHealth::Alive { age } => Ok(Json(
            json!({"status": "ok", "seq": seq, "writer_beat_ms": age.as_millis() as u64}),
        )),
        WriterHealth::Stalled { age } => Err(ApiError::writer_down(&format!(
            "silent for {} s",
            age.as_secs()
        ))),
        WriterHealth::Stopped => Err(ApiError::writer_down("thread ended")),
    }
}

fn now(app: &AppState) -> DateTime<FixedOffset> {
    app.now()
}

/// What a principal may see: supervisors everything, clerks no personal data, the rest the
/// public view.
pub fn audience(who: &Principal) -> Audience {
    if who.is_supervisor() {
        Audience::Supervisor
    } else if who.is_staff() {
        Audience::Staff
    } else {
        Audience::Public
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/state",
    tag = "board",
    security((), ("bearer" = [])),
    responses((status = 200, body = openapi::Snapshot)),
)]
pub async fn state(State(app): State<AppState>, who: Principal) -> Response {
    let body = app.read.current().snapshot_json(audience(&who), now(&app));
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Who the token belongs to, and for a clerk today's work at a glance.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "staff",
    security(("bearer" = [])),
    responses((status = 200, body = openapi::Me)),
)]
pub async fn me(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    if who == Principal::Public {
        return Err(ApiError::unauthorized());
    }
    let (staff, counter) = match &who {
        Principal::Clerk { staff, counter } => (Some(staff.clone()), Some(*counter)),
        Principal::Supervisor { staff } => (staff.clone(), None),
        Principal::Rating(c) => (None, Some(*c)),
        _ => (None, None),
    };
    let name = staff
        .as_ref()
        .and_then(|s| app.keys.directory.get().staff(s).map(|k| k.name.clone()));
    let must_change_pin = staff
        .as_ref()
        .and_then(|s| app.keys.directory.get().staff(s).map(|k| k.must_change_pin))
        .unwrap_or(false);
    let model = app.read.current();
    // Today's figures of this clerk (the day's stats count each finished ticket once).
    let (served, total_s) = staff
        .as_ref()
        .and_then(|s| model.stats().clerks.get(s))
        .map_or((0, 0), |a| {
            (
                a.served,
                a.service_times.iter().map(|&t| i64::from(t)).sum::<i64>(),
            )
        });
    let current = counter
        .and_then(|c| model.snapshot().counter(c))
        .and_then(|k| k.current.clone());
    Ok(Json(json!({
        "role": who.role(),
        "staff": staff.map(|id| json!({"id": id, "name": name})),
        "must_change_pin": must_change_pin,
        "counter": counter,
        "served_today": served,
        "avg_service_s": (served > 0).then(|| total_s / i64::from(served)),
        "current": current.map(|t| view::ticket(&t, audience(&who))),
    })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    #[serde(default)]
    day: Option<NaiveDate>,
}

/// Today's figures from memory; a past day's from its journal.
fn day_stats(app: &AppState, day: Option<NaiveDate>) -> ApiResult<Value> {
    let current = app.read.current();
    let today = current.day();
    let now = now(app);
    let day = day.unwrap_or(today);
    let model = model_of_day(current, &app.data_dir.join("journal"), day, now)
        .map_err(|e| ApiError::unavailable(&e.to_string()))?
        .ok_or_else(ApiError::not_found)?;
    // Live figures only: the longest wait of a ticket still waiting, per service.
    let mut longest = std::collections::BTreeMap::new();
    if day == today {
        for t in model.snapshot().waiting() {
            let wait = (now - t.issued_at).num_seconds().max(0) as u32;
            let e = longest.entry(t.service.clone()).or_insert(0);
            *e = (*e).max(wait);
        }
    }
    let mut doc = model.stats().to_json(&app.spec(), &longest);
    crate::report::add_names(
        &mut doc,
        &app.spec(),
        app.config
            .staff
            .iter()
            .map(|s| (s.id.0.as_str(), s.name.as_str())),
    );
    Ok(doc)
}

/// [`day_stats`] off the async workers (a past day replays its journal file).
async fn day_stats_off_workers(app: &AppState, day: Option<NaiveDate>) -> ApiResult<Value> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || day_stats(&app, day))
        .await
        .map_err(|e| ApiError::unavailable(&e.to_string()))?
}

pub const CSV: &str = "text/csv; charset=utf-8";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to download (reports), named `file_name`.
pub fn attachment(
    content_type: &'static str,
    file_name: &str,
    body: impl IntoResponse,
) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "reports",
    security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, body = openapi::Stats),
        (status = 403, description = "`forbidden`", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`: no journal for that day", body = openapi::ErrorBody),
        (status = 503, description = "`unavailable`: the journal cannot be read", body = openapi::ErrorBody),
    ),
)]
pub async fn stats(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<Value>> {
    who.require_supervisor()?;
    Ok(Json(day_stats_off_workers(&app, q.day).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/daily.csv",
    tag = "reports",
    security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv; charset=utf-8"),
        (status = 403, description = "`forbidden`", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 503, description = "`unavailable`", body = openapi::ErrorBody),
    ),
)]
pub async fn daily_csv(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Response> {
    who.require_supervisor()?;
    let doc = day_stats_off_workers(&app, q.day).await?;
    let day = doc["day"].as_str().unwrap_or("day");
    let name = format!("xephang-{day}.csv");
    Ok(attachment(CSV, &name, crate::stats::to_csv(&doc)))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/daily.xlsx",
    tag = "reports",
    security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, description = "Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "`forbidden`", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 503, description = "`unavailable`", body = openapi::ErrorBody),
    ),
)]
pub async fn daily_xlsx(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Response> {
    who.require_supervisor()?;
    let app2 = app.clone();
    let (day, bytes) = tokio::task::spawn_blocking(move || {
        let doc = day_stats(&app2, q.day)?;
        let day = doc["day"].as_str().unwrap_or("day").to_string();
        crate::report::to_xlsx(&doc, &app2.spec().name)
            .map(|b| (day, b))
            .map_err(|e| ApiError::unavailable(&e.to_string()))
    })
    .await
    .map_err(|e| ApiError::unavailable(&e.to_string()))??;
    Ok(attachment(XLSX, &format!("xephang-{day}.xlsx"), bytes))
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text", content_type = "text/plain"),
        (status = 403, description = "`forbidden`: not a supervisor", body = openapi::ErrorBody),
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DossierBody {
    received: u32,
    on_time: u32,
    overdue: u32,
    #[serde(default)]
    as_of: Option<DateTime<FixedOffset>>,
}

#[utoipa::path(
    put,
    path = "/api/v1/dossier-stats",
    tag = "reports",
    security(("bearer" = [])),
    request_body = DossierBody,
    responses(
        (status = 200, body = openapi::Dossier),
        (status = 403, description = "`forbidden`", body = openapi::ErrorBody),
    ),
)]
pub async fn dossier(
    State(app): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<DossierBody>,
) -> ApiResult<Json<Value>> {
    who.require_supervisor()?;
    super::desk::check_dossier(body.received, body.on_time, body.overdue)?;
    let cmd = Command::Dossier {
        received: body.received,
        on_time: body.on_time,
        overdue: body.overdue,
        as_of: body.as_of.unwrap_or_else(|| now(&app)),
    };
    run(&app, &who, cmd).await?;
    Ok(Json(json!(app.read.current().snapshot().dossier())))
}

pub async fn api_not_found() -> ApiError {
    ApiError::not_found()
}
