//! Appointments (issue 8): free slots, booking, looking a booking up, cancelling it, checking
//! in at the kiosk, the supervisor's list of a day's bookings, and a QR code of a booking code
//! for the kiosk's scanner. Guessing booking codes is limited in front of these handlers, by
//! the `[limits]` middleware (limits.rs).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::command::{execute, run, ticket_of};
use super::day_data::{day_data_blocking, DayQuery};
use super::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use super::links::Links;
use super::print::{after_issue, KioskDevice};
use super::tickets::qr_svg;
use super::views::{OwnTicket, OwnedStaffTicket};
use crate::domain::event::Event;
use crate::domain::ids::{BookingCode, ServiceId, TicketId, CODE_ALPHABET, CODE_LEN};
use crate::domain::slots::slots_of;
use crate::domain::ticket::Ticket;
use crate::domain::{Command, DomainError};
use crate::engine::EngineError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(slots))
        .routes(routes!(book, list))
        .routes(routes!(cancel_booking))
        .routes(routes!(qr))
        .routes(routes!(check_in))
        .routes(routes!(booking_lookup))
}

/// A refused booking is tried again with a fresh code only when its generated code collided
/// with a live one; any other refusal is the answer.
fn code_collision(e: &EngineError) -> bool {
    matches!(e, EngineError::Domain(DomainError::CodeTaken))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsQuery {
    #[param(example = "hotich")]
    service: String,
    #[serde(default)]
    day: Option<NaiveDate>,
}

/// An appointment slot and how many places are left in it.
#[derive(Serialize, ToSchema)]
pub struct Slot {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub capacity: u32,
    pub free: u32,
}

#[utoipa::path(
    get,
    path = "/slots",
    tag = "appointments",
    params(SlotsQuery),
    responses(
        (status = 200, body = Vec<Slot>),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
    ),
)]
pub async fn slots(
    State(app): State<AppState>,
    Query(q): Query<SlotsQuery>,
) -> ApiResult<Json<Vec<Slot>>> {
    let service = ServiceId(q.service);
    if app.spec().service(&service).is_none() {
        return Err(DomainError::UnknownService(service.0).into());
    }
    let model = app.read.current();
    let day = q.day.unwrap_or_else(|| model.day());
    let taken = |start: DateTime<FixedOffset>| {
        model
            .bookings()
            .filter(|b| b.service == service && b.start == start)
            .count() as u32
    };
    let list = slots_of(&app.spec(), &service, day, &taken)
        .into_iter()
        .map(|s| Slot {
            start: s.start,
            end: s.end,
            capacity: s.capacity,
            free: s.free,
        })
        .collect();
    Ok(Json(list))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    #[schema(example = "hotich")]
    service: String,
    start: DateTime<FixedOffset>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

/// A booking made: its code is the citizen's capability (to cancel, to check in).
#[derive(Serialize, ToSchema)]
pub struct BookingCreated {
    pub code: String,
    pub service: String,
    pub start: DateTime<FixedOffset>,
}

#[utoipa::path(
    post,
    path = "/bookings",
    tag = "appointments",
    security((), ("bearer" = [])),
    request_body = BookBody,
    responses(
        (status = 201, body = BookingCreated),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
        (status = 409, description = "`slot_full`, `invalid_state`", body = ErrorBody),
    ),
)]
pub async fn book(
    State(app): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<BookBody>,
) -> ApiResult<(StatusCode, Json<Option<BookingCreated>>)> {
    let cmd = Command::Book {
        service: ServiceId(body.service),
        start: body.start,
        name: body.name.filter(|s| !s.trim().is_empty()),
        phone: body.phone.filter(|s| !s.trim().is_empty()),
    };
    // A generated code may collide with a live one: try again with a fresh code.
    let mut attempt = 0;
    let events = loop {
        match execute(&app, &who, cmd.clone()).await {
            Err(e) if code_collision(&e) && attempt < 3 => attempt += 1,
            other => break other?,
        }
    };
    let booking = events.iter().find_map(|e| match &e.event {
        Event::BookingCreated { booking } => Some(BookingCreated {
            code: booking.code.0.clone(),
            service: booking.service.0.clone(),
            start: booking.start,
        }),
        _ => None,
    });
    Ok((StatusCode::CREATED, Json(booking)))
}

/// The 429 of the routes that look a booking code up (`[limits] code_failures`, limits.rs).
const CODE_LOCKOUT: &str = "`rate_limited`: too many wrong booking codes from this address or \
token (`[limits] code_failures` within `code_window_s`); every code is refused until the \
lockout (`code_lockout_s`) ends";

/// A booking cancelled.
#[derive(Serialize, ToSchema)]
pub struct BookingCancelled {
    pub code: String,
    /// `cancelled`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<FixedOffset>>,
}

/// Cancels a booking by its code (the citizen's capability). Wrong codes are counted per
/// address and token, and too many lock the client out (limits.rs).
#[utoipa::path(
    delete,
    path = "/bookings/{code}",
    tag = "appointments",
    security((), ("bearer" = [])),
    params(("code" = String, Path, description = "Booking code")),
    responses(
        (status = 200, body = BookingCancelled),
        (status = 404, description = "`unknown_booking`", body = ErrorBody),
        (status = 409, description = "`already_checked_in`, `invalid_state`", body = ErrorBody),
        (status = 429, description = CODE_LOCKOUT, body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the lockout ends"))),
    ),
)]
pub async fn cancel_booking(
    State(app): State<AppState>,
    who: Principal,
    Path(code): Path<String>,
) -> ApiResult<Json<BookingCancelled>> {
    let code = BookingCode(code.trim().to_ascii_uppercase());
    let events = run(&app, &who, Command::CancelBooking { code: code.clone() }).await?;
    let mut out = BookingCancelled {
        code: code.0,
        status: "cancelled",
        service: None,
        start: None,
    };
    for e in &events {
        if let Event::BookingCancelled { service, start, .. } = &e.event {
            out.service = Some(service.0.clone());
            out.start = Some(*start);
        }
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInBody {
    code: String,
}

/// Checks a booking in at the kiosk. Wrong codes count as for cancelling (limits.rs).
#[utoipa::path(
    post,
    path = "/checkins",
    tag = "appointments",
    security(("bearer" = [])),
    request_body = CheckInBody,
    responses(
        (status = 201, body = OwnTicket),
        (status = 403, description = "`forbidden`: not a kiosk", body = ErrorBody),
        (status = 404, description = "`unknown_booking`", body = ErrorBody),
        (status = 409, description = "`already_checked_in`, `invalid_state`", body = ErrorBody),
        (status = 429, description = CODE_LOCKOUT, body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the lockout ends"))),
    ),
)]
pub async fn check_in(
    State(app): State<AppState>,
    links: Links,
    who: Principal,
    kiosk: KioskDevice,
    ApiJson(body): ApiJson<CheckInBody>,
) -> ApiResult<(StatusCode, Json<Option<OwnTicket>>)> {
    who.require_kiosk()?;
    let code = BookingCode(body.code.trim().to_ascii_uppercase());
    let text = code.0.clone();
    let events = run(&app, &who, Command::CheckIn { code })
        .await
        .map_err(|e| explain_check_in(&app, &text, e))?;
    let mut ticket = ticket_of(&app, &links, &events);
    after_issue(&app, &kiosk, &links, &mut ticket);
    Ok((StatusCode::CREATED, Json(ticket)))
}

/// A check-in refused because the booking is for another day says which day (and time).
fn explain_check_in(app: &AppState, code: &str, err: ApiError) -> ApiError {
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

/// A booking as the citizen's booking page looks it up.
#[derive(Serialize, ToSchema)]
pub struct BookingFound {
    pub code: String,
    pub service: String,
    pub start: DateTime<FixedOffset>,
    pub checked_in: bool,
}

/// A booking by its code, before the citizen confirms cancelling it (the booking page says
/// at once when a code does not exist). Public: the code is the capability; wrong codes count
/// toward the same lockout as cancelling and checking in (limits.rs).
#[utoipa::path(
    get,
    path = "/booking-lookup/{code}",
    tag = "appointments",
    params(("code" = String, Path, description = "Booking code", example = "K7P2QX")),
    responses(
        (status = 200, body = BookingFound),
        (status = 404, description = "`unknown_booking`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong codes", body = ErrorBody),
    ),
)]
pub async fn booking_lookup(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<BookingFound>> {
    let code = BookingCode(code.trim().to_ascii_uppercase());
    let model = app.read.current();
    let b = model.booking(&code).ok_or(DomainError::UnknownBooking)?;
    Ok(Json(BookingFound {
        code: b.code.0.clone(),
        service: b.service.0.clone(),
        start: b.start,
        checked_in: b.checked_in.is_some(),
    }))
}

/// One booking of the supervisor's list, with what the citizen left and its ticket.
#[derive(Serialize, ToSchema)]
pub struct BookingRow {
    pub code: String,
    pub service: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// The ticket its check-in got.
    pub ticket: Option<OwnedStaffTicket>,
}

/// A day's bookings, by slot.
#[derive(Serialize, ToSchema)]
pub struct BookingList {
    pub day: NaiveDate,
    pub bookings: Vec<BookingRow>,
}

/// `GET /api/v1/bookings?day=`: the day's bookings for supervisors, by slot, with the names
/// and phone numbers citizens left and the ticket each check-in got.
#[utoipa::path(
    get,
    path = "/bookings",
    tag = "appointments",
    security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, body = BookingList),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 503, description = "`unavailable`", body = ErrorBody),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<BookingList>> {
    who.require_supervisor()?;
    let data = day_data_blocking(&app, q.day).await?;
    let tickets: HashMap<TicketId, &Ticket> = data.tickets.iter().map(|t| (t.id, t)).collect();
    let mut bookings = data.bookings.clone();
    bookings.sort_by(|a, b| (a.start, &a.code).cmp(&(b.start, &b.code)));
    let bookings = bookings
        .into_iter()
        .map(|b| {
            let len = app
                .spec()
                .service(&b.service)
                .and_then(|s| s.appointments.as_ref())
                .map_or(0, |a| a.slot_min);
            let ticket = b
                .checked_in
                .and_then(|id| tickets.get(&id))
                .map(|t| OwnedStaffTicket::new(t));
            BookingRow {
                code: b.code.0,
                service: b.service.0,
                end: b.start + Duration::minutes(i64::from(len)),
                start: b.start,
                name: b.name,
                phone: b.phone,
                ticket,
            }
        })
        .collect();
    Ok(Json(BookingList {
        day: data.day,
        bookings,
    }))
}

/// `GET /api/v1/bookings/{code}/qr.svg`: a QR code holding the booking code itself, so the
/// kiosk's scanner types it. Any well-formed code is drawn (nothing is looked up, so the
/// route tells nobody whether a code exists).
#[utoipa::path(
    get,
    path = "/bookings/{code}/qr.svg",
    tag = "appointments",
    params(("code" = String, Path, description = "Booking code")),
    responses(
        (status = 200, description = "SVG QR code", content_type = "image/svg+xml"),
        (status = 404, description = "`not_found`: a malformed code", body = ErrorBody),
    ),
)]
pub async fn qr(Path(code): Path<String>) -> ApiResult<impl IntoResponse> {
    let code = code.trim().to_ascii_uppercase();
    let well_formed = code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
    if !well_formed {
        return Err(ApiError::not_found());
    }
    let svg = qr_svg(&code)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::Reason;

    /// Before, any `invalid_state` (matched by its code string) was retried as if it were a
    /// collision; now only the collision's own variant is.
    #[test]
    fn only_a_code_collision_is_retried() {
        assert!(code_collision(&EngineError::Domain(DomainError::CodeTaken)));
        for other in [
            EngineError::Domain(DomainError::InvalidState(Reason::BookingNotToday)),
            EngineError::Domain(DomainError::SlotFull),
            EngineError::Domain(DomainError::NoSuchSlot),
            EngineError::Unavailable("disk".into()),
        ] {
            assert!(!code_collision(&other), "{other:?}");
        }
    }
}
