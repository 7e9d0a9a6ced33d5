//! The Excel report of a range of days for the supervisor dashboard's Excel button (issue 14
//! item 10): `GET /api/v1/reports/range.xlsx?from=YYYY-MM-DD&to=YYYY-MM-DD`, the days' figures
//! added up from their journal files (today's included: it is written as the day goes), with
//! names beside ids, like the CLI's `xephang report --from … --to …`.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use serde::Deserialize;

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::reads::{attachment, XLSX};
use super::AppState;

/// At most this many days in one report (a year), so one request cannot replay years.
const MAX_DAYS: i64 = 366;

pub fn routes() -> Router<AppState> {
    Router::new().route("/reports/range.xlsx", get(range_xlsx))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day, YYYY-MM-DD.
    from: NaiveDate,
    /// Last day, YYYY-MM-DD (inclusive).
    to: NaiveDate,
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/range.xlsx",
    tag = "reports",
    security(("bearer" = [])),
    params(RangeQuery),
    responses(
        (status = 200, description = "Excel workbook of the days added up", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, description = "`bad_request`: `to` before `from`, or more than 366 days", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: no journal for any of the days", body = super::openapi::ErrorBody),
    ),
)]
pub async fn range_xlsx(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Response> {
    who.require_supervisor()?;
    let days = (q.to - q.from).num_days();
    if !(0..MAX_DAYS).contains(&days) {
        return Err(ApiError::bad_request(
            "`to` must be on or after `from`, at most 366 days later",
        ));
    }
    let app2 = app.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let dir = app2.data_dir.join("journal");
        let mut doc =
            crate::report::from_journal(&app2.spec(), &dir, q.from, q.to).map_err(|e| match e {
                crate::report::ReportError::NoJournal(..) => ApiError::not_found(),
                other => ApiError::unavailable(&other.to_string()),
            })?;
        crate::report::add_names(
            &mut doc,
            &app2.spec(),
            app2.config
                .staff
                .iter()
                .map(|s| (s.id.0.as_str(), s.name.as_str())),
        );
        crate::report::to_xlsx(&doc, &app2.spec().name)
            .map_err(|e| ApiError::unavailable(&e.to_string()))
    })
    .await
    .map_err(|e| ApiError::unavailable(&e.to_string()))??;
    Ok(attachment(
        XLSX,
        &format!("xephang-{}..{}.xlsx", q.from, q.to),
        bytes,
    ))
}
