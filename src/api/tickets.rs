//! Ticket routes for citizens and kiosks: issue, look up, cancel, requeue, rate, QR code, and
//! appointments (slots, bookings, check-in). Guessing booking codes is limited in front of
//! these handlers, by the `[limits]` middleware (limits.rs).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Principal;
use super::error::{ApiError, ApiJson, ApiResult};
use super::links::Links;
use super::{openapi, AppState};
use crate::domain::event::{Event, RatingSource};
use crate::domain::ids::{BookingCode, ServiceId, TicketId};
use crate::domain::slots::slots_of;
use crate::domain::{Command, DomainError, Envelope};
use crate::engine::{Actor, EngineError};
use crate::view;

/// Runs a command for a principal and returns its committed events.
pub async fn run(app: &AppState, who: &Principal, cmd: Command) -> ApiResult<Vec<Arc<Envelope>>> {
    Ok(execute(app, who, cmd).await?)
}

/// [`run`] with the engine's own error, for a caller that must tell refusals apart by their
/// type (never by their API code string).
async fn execute(app: &AppState, who: &Principal, cmd: Command) -> crate::engine::Outcome {
    let out = app.engine.execute(cmd, Actor(who.label())).await;
    if let Err(EngineError::Unavailable(_)) = &out {
        app.metrics
            .http_refused_unavailable
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    out
}

/// A refused booking is tried again with a fresh code only when its generated code collided
/// with a live one; any other refusal is the answer.
fn code_collision(e: &EngineError) -> bool {
    matches!(e, EngineError::Domain(DomainError::CodeTaken))
}

/// The ticket of the last event that carries one, as its holder sees it, with its current
/// place in line from the read side.
pub fn own_ticket_of(app: &AppState, events: &[Arc<Envelope>]) -> Option<(TicketId, Value)> {
    let t = events.iter().rev().find_map(|e| e.event.ticket())?;
    let model = app.read.current();
    Some((t.id, view::own_ticket(model.ticket(&t.id).unwrap_or(t))))
}

/// [`own_ticket_of`] with its `url` (what a citizen's answer carries), or null.
pub fn ticket_of(app: &AppState, links: &Links, events: &[Arc<Envelope>]) -> Value {
    own_ticket_of(app, events).map_or(Value::Null, |(id, v)| with_url(v, links, &id))
}

/// A ticket's JSON with `url`, the address its QR code encodes.
pub fn with_url(mut v: Value, links: &Links, id: &TicketId) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert("url".into(), json!(links.ticket(id)));
    }
    v
}

pub fn parse_ticket_id(id: &str) -> ApiResult<TicketId> {
    id.parse().map_err(|_| ApiError::not_found())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    #[schema(example = "hotich")]
    service: String,
    #[serde(default)]
    #[schema(example = "elderly")]
    priority: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "tickets",
    security(("bearer" = [])),
    request_body = IssueBody,
    responses(
        (status = 201, body = openapi::Ticket),
        (status = 403, description = "`forbidden`: not a kiosk", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_service`", body = openapi::ErrorBody),
        (status = 409, description = "`service_closed`, `range_exhausted`", body = openapi::ErrorBody),
        (status = 429, description = "`rate_limited`", body = openapi::ErrorBody),
    ),
)]
pub async fn issue(
    State(app): State<AppState>,
    links: Links,
    who: Principal,
    kiosk: super::print::KioskDevice,
    ApiJson(body): ApiJson<IssueBody>,
) -> ApiResult<impl IntoResponse> {
    who.require_kiosk()?;
    let cmd = Command::Issue {
        service: ServiceId(body.service),
        priority: body.priority.filter(|p| !p.is_empty()),
        remote: false,
    };
    let events = run(&app, &who, cmd).await?;
    let mut ticket = ticket_of(&app, &links, &events);
    // Durable now: the kiosk's printer (if the daemon drives one) gets it, never awaited.
    super::print::after_issue(&app, &kiosk, &links, &mut ticket);
    Ok((StatusCode::CREATED, Json(ticket)))
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}",
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, body = openapi::Ticket),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
    ),
)]
pub async fn get_one(
    State(app): State<AppState>,
    links: Links,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_ticket_id(&id)?;
    let model = app.read.current();
    let t = model.ticket(&id).ok_or_else(ApiError::not_found)?;
    let mut v = with_url(view::own_ticket(t), &links, &id);
    if let Value::Object(m) = &mut v {
        let rated = model.rating(&id).is_some();
        m.insert("rated".into(), json!(rated));
    }
    Ok(Json(v))
}

#[utoipa::path(
    delete,
    path = "/api/v1/tickets/{id}",
    tag = "tickets",
    security((), ("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, body = openapi::Ticket),
        (status = 403, description = "`forbidden`", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 409, description = "`invalid_state`", body = openapi::ErrorBody),
    ),
)]
pub async fn cancel(
    State(app): State<AppState>,
    links: Links,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let ticket = parse_ticket_id(&id)?;
    let events = run(&app, &who, Command::Cancel { ticket }).await?;
    Ok(Json(ticket_of(&app, &links, &events)))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/requeue",
    tag = "tickets",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, body = openapi::Ticket),
        (status = 403, description = "`forbidden`", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 409, description = "`invalid_state`", body = openapi::ErrorBody),
    ),
)]
pub async fn requeue(
    State(app): State<AppState>,
    links: Links,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    if !who.is_staff() {
        return Err(who.refusal());
    }
    let ticket = parse_ticket_id(&id)?;
    let events = run(&app, &who, Command::Requeue { ticket }).await?;
    Ok(Json(ticket_of(&app, &links, &events)))
}

/// A QR code (SVG) of the ticket's phone page, made locally.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/qr.svg",
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, description = "SVG QR code", content_type = "image/svg+xml"),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
    ),
)]
pub async fn qr(
    State(app): State<AppState>,
    links: Links,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = parse_ticket_id(&id)?;
    if app.read.current().ticket(&id).is_none() {
        return Err(ApiError::not_found());
    }
    let url = links.ticket(&id);
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| ApiError::bad_request(format!("QR: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    #[serde(default)]
    ticket: Option<String>,
    #[schema(minimum = 1, maximum = 4)]
    score: u8,
    #[serde(default)]
    comment: Option<String>,
    /// A phone number to be called back about the visit (optional; supervisors only).
    #[serde(default)]
    phone: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/ratings",
    tag = "tickets",
    security((), ("bearer" = [])),
    request_body = RateBody,
    responses(
        (status = 201, body = openapi::Rating),
        (status = 403, description = "`forbidden`", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 409, description = "`already_rated`, `invalid_state`, `no_current_ticket`", body = openapi::ErrorBody),
    ),
)]
pub async fn rate(
    State(app): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<RateBody>,
) -> ApiResult<impl IntoResponse> {
    let ticket = body.ticket.as_deref().map(parse_ticket_id).transpose()?;
    let (counter, source) = match &who {
        Principal::Rating(c) => (Some(*c), RatingSource::Counter),
        _ if ticket.is_some() => (None, RatingSource::Phone),
        _ => return Err(ApiError::bad_request("`ticket` is required")),
    };
    let cmd = Command::Rate {
        ticket,
        counter,
        score: body.score,
        comment: body.comment,
        source,
        phone: body.phone,
    };
    let events = run(&app, &who, cmd).await?;
    let rating = events.iter().find_map(|e| match &e.event {
        Event::Rating(r) => Some(json!(r)),
        _ => None,
    });
    Ok((StatusCode::CREATED, Json(rating.unwrap_or(Value::Null))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsQuery {
    #[param(example = "hotich")]
    service: String,
    #[serde(default)]
    day: Option<NaiveDate>,
}

#[utoipa::path(
    get,
    path = "/api/v1/slots",
    tag = "appointments",
    params(SlotsQuery),
    responses(
        (status = 200, body = Vec<openapi::Slot>),
        (status = 404, description = "`unknown_service`", body = openapi::ErrorBody),
    ),
)]
pub async fn slots(
    State(app): State<AppState>,
    Query(q): Query<SlotsQuery>,
) -> ApiResult<Json<Value>> {
    let service = ServiceId(q.service);
    if app.spec().service(&service).is_none() {
        return Err(crate::domain::DomainError::UnknownService(service.0).into());
    }
    let model = app.read.current();
    let day = q.day.unwrap_or_else(|| model.day());
    let taken = |start: DateTime<FixedOffset>| {
        model
            .bookings()
            .filter(|b| b.service == service && b.start == start)
            .count() as u32
    };
    Ok(Json(json!(slots_of(&app.spec(), &service, day, &taken))))
}

#[derive(Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(
    post,
    path = "/api/v1/bookings",
    tag = "appointments",
    security((), ("bearer" = [])),
    request_body = BookBody,
    responses(
        (status = 201, body = openapi::BookingCreated),
        (status = 404, description = "`unknown_service`", body = openapi::ErrorBody),
        (status = 409, description = "`slot_full`, `invalid_state`", body = openapi::ErrorBody),
    ),
)]
pub async fn book(
    State(app): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<BookBody>,
) -> ApiResult<impl IntoResponse> {
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
        Event::BookingCreated { booking } => Some(json!({
            "code": booking.code, "service": booking.service, "start": booking.start,
        })),
        _ => None,
    });
    Ok((StatusCode::CREATED, Json(booking.unwrap_or(Value::Null))))
}

/// The 429 of the routes that look a booking code up (`[limits] code_failures`, limits.rs).
const CODE_LOCKOUT: &str = "`rate_limited`: too many wrong booking codes from this address or \
token (`[limits] code_failures` within `code_window_s`); every code is refused until the \
lockout (`code_lockout_s`) ends";

/// Cancels a booking by its code (the citizen's capability). Wrong codes are counted per
/// address and token, and too many lock the client out (limits.rs).
#[utoipa::path(
    delete,
    path = "/api/v1/bookings/{code}",
    tag = "appointments",
    security((), ("bearer" = [])),
    params(("code" = String, Path, description = "Booking code")),
    responses(
        (status = 200, body = openapi::BookingCancelled),
        (status = 404, description = "`unknown_booking`", body = openapi::ErrorBody),
        (status = 409, description = "`already_checked_in`, `invalid_state`", body = openapi::ErrorBody),
        (status = 429, description = CODE_LOCKOUT, body = openapi::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the lockout ends"))),
    ),
)]
pub async fn cancel_booking(
    State(app): State<AppState>,
    who: Principal,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let code = BookingCode(code.trim().to_ascii_uppercase());
    let events = run(&app, &who, Command::CancelBooking { code: code.clone() }).await?;
    let mut out = json!({"code": code, "status": "cancelled"});
    for e in &events {
        if let Event::BookingCancelled { service, start, .. } = &e.event {
            out["service"] = json!(service);
            out["start"] = json!(start);
        }
    }
    Ok(Json(out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInBody {
    code: String,
}

/// Checks a booking in at the kiosk. Wrong codes count as for cancelling (limits.rs).
#[utoipa::path(
    post,
    path = "/api/v1/checkins",
    tag = "appointments",
    security(("bearer" = [])),
    request_body = CheckInBody,
    responses(
        (status = 201, body = openapi::Ticket),
        (status = 403, description = "`forbidden`: not a kiosk", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_booking`", body = openapi::ErrorBody),
        (status = 409, description = "`already_checked_in`, `invalid_state`", body = openapi::ErrorBody),
        (status = 429, description = CODE_LOCKOUT, body = openapi::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the lockout ends"))),
    ),
)]
pub async fn check_in(
    State(app): State<AppState>,
    links: Links,
    who: Principal,
    kiosk: super::print::KioskDevice,
    ApiJson(body): ApiJson<CheckInBody>,
) -> ApiResult<impl IntoResponse> {
    who.require_kiosk()?;
    let code = BookingCode(body.code.trim().to_ascii_uppercase());
    let text = code.0.clone();
    let events = run(&app, &who, Command::CheckIn { code })
        .await
        .map_err(|e| super::desk::explain_check_in(&app, &text, e))?;
    let mut ticket = ticket_of(&app, &links, &events);
    super::print::after_issue(&app, &kiosk, &links, &mut ticket);
    Ok((StatusCode::CREATED, Json(ticket)))
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
