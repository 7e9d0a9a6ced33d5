//! What the clerk terminal and the supervisor dashboard need beyond the lobby snapshot
//! (issue 14): today's no-shows to put back in the queue, a counter's waiting list in the
//! order "next" will call it, today's rating comments with the clerk's name, and the rule
//! that a login at a counter another clerk holds needs a confirmation (`force`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::AppState;
use crate::domain::ids::{BookingCode, CounterId, ServiceId, StaffId};
use crate::domain::next_up::counter_order;
use crate::domain::ticket::Status;
use crate::domain::DomainError;
use crate::view::{self, Audience};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/no-shows", get(no_shows))
        .route("/counters/{n}/queue", get(queue))
        .route("/ratings/today", get(ratings_today))
        .route("/booking-lookup/{code}", get(booking_lookup))
}

/// The services `who` may see no-shows and queues of: a clerk's own counter's, or every
/// service for a supervisor.
fn services_of(app: &AppState, who: &Principal) -> ApiResult<Option<Vec<ServiceId>>> {
    match who {
        Principal::Supervisor { .. } => Ok(None),
        Principal::Clerk { counter, .. } => Ok(Some(
            app.spec()
                .counter(*counter)
                .map(|c| c.services.clone())
                .unwrap_or_default(),
        )),
        other => Err(other.refusal()),
    }
}

/// Today's no-shows (latest first) of the caller's services, each with its id so that the
/// clerk or the supervisor can put it back in the queue.
#[utoipa::path(
    get,
    path = "/api/v1/no-shows",
    tag = "counters",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{\"tickets\": [ticket…]}`: today's no-shows, latest first"),
        (status = 401, description = "`unauthorized`", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: not a clerk or supervisor", body = super::openapi::ErrorBody),
    ),
)]
pub async fn no_shows(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    let services = services_of(&app, &who)?;
    let model = app.read.current();
    let mut list: Vec<_> = model
        .tickets()
        .filter(|t| t.status == Status::NoShow)
        .filter(|t| services.as_ref().is_none_or(|s| s.contains(&t.service)))
        .collect();
    list.sort_by_key(|t| std::cmp::Reverse(t.finished_at.or(t.called_at)));
    let tickets: Vec<Value> = list
        .into_iter()
        .map(|t| view::ticket(t, Audience::Staff))
        .collect();
    Ok(Json(json!({ "tickets": tickets })))
}

/// The tickets waiting for counter `n`, in the order "next" will call them.
#[utoipa::path(
    get,
    path = "/api/v1/counters/{n}/queue",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, description = "`{\"counter\": n, \"tickets\": [ticket…]}` in call order"),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = super::openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = super::openapi::ErrorBody),
    ),
)]
pub async fn queue(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<Value>> {
    let counter = CounterId(n);
    match &who {
        Principal::Supervisor { .. } => {}
        Principal::Clerk { counter: own, .. } if *own == counter => {}
        other => return Err(other.refusal()),
    }
    if app.spec().counter(counter).is_none() {
        return Err(DomainError::UnknownCounter(n).into());
    }
    let model = app.read.current();
    let now = app.now();
    let tickets: Vec<Value> = counter_order(&app.spec(), model.lobby(), counter, now)
        .into_iter()
        .map(|t| {
            // The line's own copy carries the place and estimate.
            let placed = model.ticket(&t.id).unwrap_or(t);
            view::ticket(placed, Audience::Staff)
        })
        .collect();
    Ok(Json(json!({ "counter": counter, "tickets": tickets })))
}

/// Today's ratings, latest first, with the clerk's name and the comment (supervisors).
#[utoipa::path(
    get,
    path = "/api/v1/ratings/today",
    tag = "stats",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{\"ratings\": [{number, service, counter, clerk: {id, name}, score, comment, at}]}`"),
        (status = 403, description = "`forbidden`: supervisors only", body = super::openapi::ErrorBody),
    ),
)]
pub async fn ratings_today(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    who.require_supervisor()?;
    let model = app.read.current();
    let mut list: Vec<Value> = model
        .ratings()
        .map(|r| {
            let at = model.ticket(&r.ticket).and_then(|t| t.finished_at);
            json!({
                "number": r.number, "service": r.service, "counter": r.counter,
                "clerk": r.clerk.as_ref().map(|id| json!({"id": id, "name": staff_name(&app, id)})),
                "score": r.score, "comment": r.comment, "at": at,
            })
        })
        .collect();
    list.sort_by(|a, b| b["at"].as_str().cmp(&a["at"].as_str()));
    Ok(Json(json!({ "ratings": list })))
}

fn staff_name(app: &AppState, id: &StaffId) -> Option<String> {
    app.config
        .staff
        .iter()
        .find(|s| &s.id == id)
        .map(|s| s.name.clone())
}

/// Refuses a login at `counter` while another clerk holds it, unless `force` (the clerk
/// confirmed taking over). The 409 `counter_taken` names the clerk on duty.
pub fn check_takeover(
    app: &AppState,
    staff: &StaffId,
    counter: CounterId,
    force: bool,
) -> ApiResult<()> {
    if force {
        return Ok(());
    }
    let model = app.read.current();
    let Some(c) = model.snapshot().counter(counter) else {
        return Ok(());
    };
    match &c.clerk {
        Some(holder) if &holder.id != staff => Err(ApiError::new(
            StatusCode::CONFLICT,
            "counter_taken",
            format!(
                "{} đang do {} ({}) phụ trách. Đăng nhập tiếp sẽ thay cán bộ này.",
                c.name, holder.name, holder.id
            ),
            format!(
                "{} is held by {} ({}). Signing in takes it over from them.",
                c.name, holder.name, holder.id
            ),
        )),
        _ => Ok(()),
    }
}

/// The dossier figures the board shows must be possible: dossiers settled on time plus
/// overdue ones cannot outnumber those received (400 `impossible_figures`).
pub fn check_dossier(received: u32, on_time: u32, overdue: u32) -> ApiResult<()> {
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

/// A booking by its code, before the citizen confirms cancelling it (the booking page says
/// at once when a code does not exist). Public: the code is the capability; wrong codes count
/// toward the same lockout as cancelling and checking in (limits.rs).
#[utoipa::path(
    get,
    path = "/api/v1/booking-lookup/{code}",
    tag = "appointments",
    params(("code" = String, Path, description = "Booking code", example = "K7P2QX")),
    responses(
        (status = 200, description = "`{\"code\", \"service\", \"start\", \"checked_in\": bool}`"),
        (status = 404, description = "`unknown_booking`", body = super::openapi::ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong codes", body = super::openapi::ErrorBody),
    ),
)]
pub async fn booking_lookup(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let code = BookingCode(code.trim().to_ascii_uppercase());
    let model = app.read.current();
    let b = model.booking(&code).ok_or(DomainError::UnknownBooking)?;
    Ok(Json(json!({
        "code": b.code, "service": b.service, "start": b.start,
        "checked_in": b.checked_in.is_some(),
    })))
}

/// A check-in refused because the booking is for another day says which day (and time).
pub fn explain_check_in(app: &AppState, code: &str, err: ApiError) -> ApiError {
    if err.code != "invalid_state" {
        return err;
    }
    let model = app.read.current();
    let Some(b) = model.booking(&BookingCode(code.to_string())) else {
        return err;
    };
    let start = b.start.with_timezone(&app.spec().timezone);
    if start.date_naive() == app.now().date_naive() {
        return err;
    }
    let when = start.format("%H:%M %d/%m/%Y");
    ApiError::new(
        err.status,
        "booking_not_today",
        format!("Lịch hẹn {code} là lúc {when}, không phải hôm nay. Xin quay lại đúng ngày hẹn."),
        format!("Booking {code} is for {when}, not today. Please come back on that day."),
    )
}
