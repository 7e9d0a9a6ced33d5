//! `GET /api/v1/reports/callbacks.csv?day=` (supervisor): the hotline's call-back list — the
//! day's served tickets with the phone number the citizen volunteered (booking or phone
//! page) and their rating or none. Personal data of a day past the purge horizon is blanked
//! (day_data.rs).

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::day_data::{day_data_blocking, DayData, DayQuery};
use super::error::{ApiResult, ErrorBody};
use super::reports::{attachment, CSV};
use crate::csv::cell;
use crate::domain::event::{Booking, RatingSource};
use crate::domain::ticket::{Status, Ticket};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(callbacks_csv))
}

const LEVELS: [&str; 4] = ["Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"];

/// The call-back list of a day as CSV (UTF-8 with BOM, for Excel).
fn callbacks(app: &AppState, data: &DayData) -> String {
    let mut out = String::from(
        "\u{feff}ngay/day,so/number,linh_vuc/service,quay/counter,can_bo/clerk,lay_so/issued,xong/finished,ho_ten/name,dien_thoai/phone,nguon_sdt/phone_from,danh_gia/score,muc_do/level,danh_gia_tai/rated_on,gop_y/comment\n",
    );
    let bookings: HashMap<_, &Booking> = data.bookings_by_code();
    let mut served: Vec<&Ticket> = data
        .tickets
        .iter()
        .filter(|t| t.status == Status::Done)
        .collect();
    served.sort_by_key(|t| (t.finished_at, t.order));
    let time = |t: Option<chrono::DateTime<chrono::FixedOffset>>| {
        t.map_or(String::new(), |t| t.format("%H:%M:%S").to_string())
    };
    for t in served {
        let booking = t.booking.as_ref().and_then(|c| bookings.get(c));
        let rating = data.ratings.get(&t.id);
        let (phone, from) = match (rating.and_then(|r| r.phone.as_deref()), booking) {
            (Some(p), _) => (p, "dien_thoai/phone_page"),
            (None, Some(b)) if b.phone.is_some() => {
                (b.phone.as_deref().unwrap_or_default(), "lich_hen/booking")
            }
            _ => ("", ""),
        };
        let service = app
            .spec()
            .service(&t.service)
            .map_or(t.service.0.clone(), |s| s.name.clone());
        let clerk = t
            .clerk
            .as_ref()
            .map_or(String::new(), |id| match app.staff(id) {
                Some(s) => format!("{} ({id})", s.name),
                None => id.to_string(),
            });
        let (score, level, on, comment) = match rating {
            Some(r) => (
                r.score.to_string(),
                LEVELS[usize::from(r.score.clamp(1, 4) - 1)].to_string(),
                match r.source {
                    RatingSource::Counter => "quay/counter",
                    RatingSource::Phone => "dien_thoai/phone",
                },
                r.comment.clone().unwrap_or_default(),
            ),
            None => (String::new(), String::new(), "", String::new()),
        };
        let cols = [
            data.day.to_string(),
            t.number.clone(),
            service,
            t.counter.map_or(String::new(), |c| c.to_string()),
            clerk,
            time(Some(t.issued_at)),
            time(t.finished_at),
            booking.and_then(|b| b.name.clone()).unwrap_or_default(),
            phone.to_string(),
            from.to_string(),
            score,
            level,
            on.to_string(),
            comment,
        ];
        let cols: Vec<String> = cols.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "{}", cols.join(","));
    }
    out
}

/// `GET /api/v1/reports/callbacks.csv?day=`: the hotline's call-back list.
#[utoipa::path(
    get,
    path = "/reports/callbacks.csv",
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
pub async fn callbacks_csv(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Response> {
    who.require_supervisor()?;
    let data = day_data_blocking(&app, q.day).await?;
    let csv = callbacks(&app, &data);
    let name = format!("xephang-goi-lai-{}.csv", data.day);
    Ok(attachment(CSV, &name, csv))
}
