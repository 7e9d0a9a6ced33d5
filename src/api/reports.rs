//! Supervisors' figures: the day's stats (`GET /stats`, today from memory, a past day
//! replayed from its journal), the daily report as CSV and Excel, today's ratings with the
//! clerk's name and comment, and the dossier figures the centre's one-stop software pushes
//! for the board (`PUT /dossier-stats`). The stats document is the typed
//! [`StatsDoc`] of `src/stats/doc.rs`, which is also its OpenAPI schema.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::command::run;
use super::day_data::DayQuery;
use super::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::domain::event::DossierStats;
use crate::domain::ids::{CounterId, ServiceId, StaffId};
use crate::domain::Command;
use crate::read::history::model_of_day;
use crate::stats::StatsDoc;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(daily_csv))
        .routes(routes!(daily_xlsx))
        .routes(routes!(dossier))
        .routes(routes!(ratings_today))
}

/// Today's figures from memory; a past day's from its journal.
fn day_stats(app: &AppState, day: Option<NaiveDate>) -> ApiResult<StatsDoc> {
    let current = app.read.current();
    let today = current.day();
    let now = app.now();
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
    let mut doc = model.stats().doc(&app.spec(), &longest);
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
async fn day_stats_off_workers(app: &AppState, day: Option<NaiveDate>) -> ApiResult<StatsDoc> {
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
    path = "/stats",
    tag = "reports",
    security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, body = StatsDoc),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`: no journal for that day", body = ErrorBody),
        (status = 503, description = "`unavailable`: the journal cannot be read", body = ErrorBody),
    ),
)]
pub async fn stats(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<StatsDoc>> {
    who.require_supervisor()?;
    Ok(Json(day_stats_off_workers(&app, q.day).await?))
}

#[utoipa::path(
    get,
    path = "/reports/daily.csv",
    tag = "reports",
    security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv; charset=utf-8"),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 503, description = "`unavailable`", body = ErrorBody),
    ),
)]
pub async fn daily_csv(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Response> {
    who.require_supervisor()?;
    let doc = day_stats_off_workers(&app, q.day).await?;
    let day = doc.day.as_deref().unwrap_or("day");
    let name = format!("xephang-{day}.csv");
    Ok(attachment(CSV, &name, crate::stats::to_csv(&doc)))
}

#[utoipa::path(
    get,
    path = "/reports/daily.xlsx",
    tag = "reports",
    security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, description = "Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 503, description = "`unavailable`", body = ErrorBody),
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
        let day = doc.day.clone().unwrap_or_else(|| "day".into());
        crate::report::to_xlsx(&doc, &app2.spec().name)
            .map(|b| (day, b))
            .map_err(|e| ApiError::unavailable(&e.to_string()))
    })
    .await
    .map_err(|e| ApiError::unavailable(&e.to_string()))??;
    Ok(attachment(XLSX, &format!("xephang-{day}.xlsx"), bytes))
}

/// The dossier figures shown on the board.
#[derive(Serialize, ToSchema)]
pub struct Dossier {
    pub received: u32,
    pub on_time: u32,
    pub overdue: u32,
    pub as_of: DateTime<FixedOffset>,
}

impl From<&DossierStats> for Dossier {
    fn from(d: &DossierStats) -> Self {
        Dossier {
            received: d.received,
            on_time: d.on_time,
            overdue: d.overdue,
            as_of: d.as_of,
        }
    }
}

#[derive(Deserialize, ToSchema)]
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
    path = "/dossier-stats",
    tag = "reports",
    security(("bearer" = [])),
    request_body = DossierBody,
    responses(
        (status = 200, body = Dossier),
        (status = 403, description = "`forbidden`", body = ErrorBody),
    ),
)]
pub async fn dossier(
    State(app): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<DossierBody>,
) -> ApiResult<Json<Option<Dossier>>> {
    who.require_supervisor()?;
    check_dossier(body.received, body.on_time, body.overdue)?;
    let cmd = Command::Dossier {
        received: body.received,
        on_time: body.on_time,
        overdue: body.overdue,
        as_of: body.as_of.unwrap_or_else(|| app.now()),
    };
    run(&app, &who, cmd).await?;
    let model = app.read.current();
    Ok(Json(model.snapshot().dossier().map(Dossier::from)))
}

/// The dossier figures the board shows must be possible: dossiers settled on time plus
/// overdue ones cannot outnumber those received (400 `impossible_figures`).
fn check_dossier(received: u32, on_time: u32, overdue: u32) -> ApiResult<()> {
    if u64::from(on_time) + u64::from(overdue) <= u64::from(received) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "impossible_figures",
        format!(
            "Số liệu không hợp lệ: đúng hạn ({on_time}) + quá hạn ({overdue}) lớn hơn số hồ sơ tiếp nhận ({received})."
        ),
        format!(
            "Impossible figures: on time ({on_time}) + overdue ({overdue}) is more than received ({received})."
        ),
    ))
}

/// Today's ratings, latest first, with the clerk's name and the comment (supervisors).
#[utoipa::path(
    get,
    path = "/ratings/today",
    tag = "stats",
    security(("bearer" = [])),
    responses(
        (status = 200, body = RatingsToday),
        (status = 403, description = "`forbidden`: supervisors only", body = ErrorBody),
    ),
)]
pub async fn ratings_today(
    State(app): State<AppState>,
    who: Principal,
) -> ApiResult<Json<RatingsToday>> {
    who.require_supervisor()?;
    let model = app.read.current();
    let mut ratings: Vec<RatingRow> = model
        .ratings()
        .map(|r| RatingRow {
            number: r.number.clone(),
            service: r.service.clone(),
            counter: r.counter,
            clerk: r.clerk.as_ref().map(|id| ClerkName {
                id: id.clone(),
                name: app.staff(id).map(|s| s.name.clone()),
            }),
            score: r.score,
            comment: r.comment.clone(),
            at: model.ticket(&r.ticket).and_then(|t| t.finished_at),
        })
        .collect();
    // Latest first, by the time's text as sent (as before: a missing time sorts last).
    let text = |r: &RatingRow| r.at.map(|t| serde_json::json!(t).to_string());
    ratings.sort_by_key(|r| std::cmp::Reverse(text(r)));
    Ok(Json(RatingsToday { ratings }))
}

/// Today's ratings, latest first.
#[derive(Serialize, ToSchema)]
pub struct RatingsToday {
    pub ratings: Vec<RatingRow>,
}

/// A rating with the clerk's name and the time its ticket was finished.
#[derive(Serialize, ToSchema)]
pub struct RatingRow {
    pub number: String,
    #[schema(value_type = String)]
    pub service: ServiceId,
    #[schema(value_type = Option<u32>)]
    pub counter: Option<CounterId>,
    pub clerk: Option<ClerkName>,
    pub score: u8,
    pub comment: Option<String>,
    pub at: Option<DateTime<FixedOffset>>,
}

/// A clerk by id, with their name from the config (null if no longer configured).
#[derive(Serialize, ToSchema)]
pub struct ClerkName {
    #[schema(value_type = String)]
    pub id: StaffId,
    pub name: Option<String>,
}
