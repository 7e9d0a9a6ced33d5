//! Ticket routes for citizens and kiosks: issue, look up, cancel, requeue, rate, and the QR
//! code of a ticket's phone page.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::command::{parse_ticket_id, run, ticket_of, with_url};
use super::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use super::links::Links;
use super::print::{after_issue, KioskDevice};
use super::views::{OwnTicket, OwnedStaffTicket};
use crate::domain::event::{Event, Rating, RatingSource};
use crate::domain::ids::ServiceId;
use crate::domain::Command;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue))
        .routes(routes!(get_one, cancel))
        .routes(routes!(requeue))
        .routes(routes!(qr))
        .routes(routes!(rate))
}

#[derive(Deserialize, ToSchema)]
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
    path = "/tickets",
    tag = "tickets",
    security(("bearer" = [])),
    request_body = IssueBody,
    responses(
        (status = 201, body = OwnTicket),
        (status = 403, description = "`forbidden`: not a kiosk", body = ErrorBody),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
        (status = 409, description = "`service_closed`, `range_exhausted`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
)]
pub async fn issue(
    State(app): State<AppState>,
    links: Links,
    who: Principal,
    kiosk: KioskDevice,
    ApiJson(body): ApiJson<IssueBody>,
) -> ApiResult<(StatusCode, Json<Option<OwnTicket>>)> {
    who.require_kiosk()?;
    let cmd = Command::Issue {
        service: ServiceId(body.service),
        priority: body.priority.filter(|p| !p.is_empty()),
        remote: false,
    };
    let events = run(&app, &who, cmd).await?;
    let mut ticket = ticket_of(&app, &links, &events);
    // Durable now: the kiosk's printer (if the daemon drives one) gets it, never awaited.
    after_issue(&app, &kiosk, &links, &mut ticket);
    Ok((StatusCode::CREATED, Json(ticket)))
}

#[utoipa::path(
    get,
    path = "/tickets/{id}",
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, body = OwnTicket),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ),
)]
pub async fn get_one(
    State(app): State<AppState>,
    links: Links,
    Path(id): Path<String>,
) -> ApiResult<Json<OwnTicket>> {
    let id = parse_ticket_id(&id)?;
    let model = app.read.current();
    let t = model.ticket(&id).ok_or_else(ApiError::not_found)?;
    let mut answer = with_url(OwnedStaffTicket::new(t), &links, &id);
    answer.rated = Some(model.rating(&id).is_some());
    Ok(Json(answer))
}

#[utoipa::path(
    delete,
    path = "/tickets/{id}",
    tag = "tickets",
    security((), ("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, body = OwnTicket),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`invalid_state`", body = ErrorBody),
    ),
)]
pub async fn cancel(
    State(app): State<AppState>,
    links: Links,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Option<OwnTicket>>> {
    let ticket = parse_ticket_id(&id)?;
    let events = run(&app, &who, Command::Cancel { ticket }).await?;
    Ok(Json(ticket_of(&app, &links, &events)))
}

#[utoipa::path(
    post,
    path = "/tickets/{id}/requeue",
    tag = "tickets",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, body = OwnTicket),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`invalid_state`", body = ErrorBody),
    ),
)]
pub async fn requeue(
    State(app): State<AppState>,
    links: Links,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Option<OwnTicket>>> {
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
    path = "/tickets/{id}/qr.svg",
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, description = "SVG QR code", content_type = "image/svg+xml"),
        (status = 404, description = "`not_found`", body = ErrorBody),
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
    let svg = qr_svg(&links.ticket(&id))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}

/// A QR code of `text`, as SVG (tickets' phone pages, booking codes).
pub fn qr_svg(text: &str) -> ApiResult<String> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| ApiError::bad_request(format!("QR: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

#[derive(Deserialize, ToSchema)]
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

/// A rating as it was recorded.
#[derive(Serialize, ToSchema)]
pub struct RatingAnswer {
    pub ticket: String,
    pub number: String,
    pub service: String,
    pub counter: Option<u32>,
    pub clerk: Option<String>,
    #[schema(minimum = 1, maximum = 4)]
    pub score: u8,
    pub comment: Option<String>,
    /// `counter` or `phone`.
    #[schema(value_type = String)]
    pub source: RatingSource,
    /// The call-back number, when one was left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl From<&Rating> for RatingAnswer {
    fn from(r: &Rating) -> Self {
        RatingAnswer {
            ticket: r.ticket.to_string(),
            number: r.number.clone(),
            service: r.service.0.clone(),
            counter: r.counter.map(|c| c.0),
            clerk: r.clerk.as_ref().map(|s| s.0.clone()),
            score: r.score,
            comment: r.comment.clone(),
            source: r.source,
            phone: r.phone.clone(),
        }
    }
}

#[utoipa::path(
    post,
    path = "/ratings",
    tag = "tickets",
    security((), ("bearer" = [])),
    request_body = RateBody,
    responses(
        (status = 201, body = RatingAnswer),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`already_rated`, `invalid_state`, `no_current_ticket`", body = ErrorBody),
    ),
)]
pub async fn rate(
    State(app): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<RateBody>,
) -> ApiResult<(StatusCode, Json<Option<RatingAnswer>>)> {
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
        Event::Rating(r) => Some(RatingAnswer::from(r)),
        _ => None,
    });
    Ok((StatusCode::CREATED, Json(rating)))
}
