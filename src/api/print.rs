//! The HTTP side of daemon printing (src/print): which kiosk is asking, the print job queued
//! after a kiosk's ticket is durable (and the `print` field of its answer),
//! `POST /api/v1/tickets/{id}/reprint` and `GET /api/v1/printers`.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::{request::Parts, StatusCode};
use axum::Json;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::{token_of, Principal};
use super::command::parse_ticket_id;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::links::Links;
use super::views::{OwnTicket, TicketPrint};
use crate::domain::ids::TicketId;
use crate::domain::ticket::Ticket;
use crate::print::content::{ticket_content, Lobby};
use crate::print::{Printer, TicketContent, REPRINT_WINDOW};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reprint))
        .routes(routes!(printers))
}

/// The kiosk device (config name) a request comes from, if a kiosk token is on it.
pub struct KioskDevice(pub Option<String>);

impl FromRequestParts<AppState> for KioskDevice {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        let name =
            token_of(parts).and_then(|t| app.printers.kiosk_of_token(&t).map(str::to_string));
        Ok(KioskDevice(name))
    }
}

/// A ticket of today with its place and estimate, and whether an open counter serves its
/// service now (the read model's service summaries: the same `staffed` the screens show,
/// without building the whole snapshot on the kiosk's issue path).
fn lobby_ticket(app: &AppState, id: &TicketId) -> Option<(Ticket, Lobby)> {
    let model = app.read.current();
    let ticket = model.ticket(id)?.clone();
    let staffed = model
        .services()
        .iter()
        .find(|s| s.id == ticket.service)
        .is_some_and(|s| s.staffed);
    Some((ticket, Lobby { staffed }))
}

/// The text of a ticket of today.
fn content_of(app: &AppState, id: &TicketId, url: &str) -> Option<TicketContent> {
    let (ticket, lobby) = lobby_ticket(app, id)?;
    let footer = &app.config.ticket_footer;
    Some(ticket_content(&app.spec(), footer, &ticket, lobby, url))
}

/// `print` of an answer: `{"by":"daemon","printer","state":"queued"|"failed","reason"}`.
fn queue(
    app: &AppState,
    printer: &Printer,
    id: &TicketId,
    url: &str,
    reprint: bool,
) -> TicketPrint {
    let queued = match content_of(app, id, url) {
        Some(content) => printer.enqueue(*id, content, reprint),
        None => Err("not_found"),
    };
    let (state, reason) = match queued {
        Ok(()) => ("queued", None),
        Err(reason) => ("failed", Some(reason)),
    };
    TicketPrint {
        by: "daemon",
        printer: printer.name.clone(),
        state,
        reason,
    }
}

/// After a kiosk's ticket is durable: remembers which kiosk issued it and, when that kiosk
/// has a printer, queues the ticket (never waiting for the printer) and tells the kiosk in
/// the answer's `print` field. Kiosks without a printer get no `print` field and print
/// through their browser as before.
pub fn after_issue(
    app: &AppState,
    kiosk: &KioskDevice,
    links: &Links,
    answer: &mut Option<OwnTicket>,
) {
    let (Some(kiosk), Some(answer)) = (&kiosk.0, answer.as_mut()) else {
        return;
    };
    let id = answer.ticket.id();
    app.printers.remember(id, kiosk);
    if let Some(printer) = app.printers.get(kiosk) {
        let url = links.ticket(&id);
        answer.print = Some(queue(app, printer, &id, &url, false));
    }
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReprintBody {
    /// The kiosk (device name) whose printer prints it (supervisors; default: the printer
    /// of the kiosk that issued the ticket).
    #[serde(default)]
    printer: Option<String>,
}

fn no_printer() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "no_printer",
        "Ki-ốt này không có máy in do hệ thống điều khiển (in qua trình duyệt).",
        "This kiosk has no printer driven by the daemon (it prints through its browser).",
    )
}

/// Prints a ticket again on a kiosk's printer.
#[utoipa::path(
    post,
    path = "/tickets/{id}/reprint",
    tag = "printing",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id")),
    request_body(content = Option<ReprintBody>, description = "Optional: `printer` (supervisors)"),
    responses(
        (status = 202, description = "Queued (or refused at once: `state` failed, `reason`); the outcome reaches the kiosk's WebSocket as a `print` frame", body = PrintAnswer),
        (status = 403, description = "`forbidden`: not the issuing kiosk within 60 s, nor a supervisor", body = ErrorBody),
        (status = 404, description = "`not_found`, `unknown_printer`", body = ErrorBody),
        (status = 409, description = "`no_printer`, `invalid_state` (the ticket is no longer live)", body = ErrorBody),
    ),
)]
pub async fn reprint(
    State(app): State<AppState>,
    who: Principal,
    kiosk: KioskDevice,
    links: Links,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<PrintAnswer>)> {
    let id = parse_ticket_id(&id)?;
    let body: ReprintBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReprintBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(e.to_string()))?
    };
    if !who.is_supervisor() && who != Principal::Kiosk {
        return Err(who.refusal());
    }
    let status = lobby_ticket(&app, &id)
        .map(|(t, _)| t.status)
        .ok_or_else(ApiError::not_found)?;
    let issuer = app.printers.issued_by(&id);
    let name = match (&who, &kiosk.0) {
        (Principal::Supervisor { .. }, _) => body
            .printer
            .or_else(|| issuer.map(|(k, _)| k))
            .ok_or_else(no_printer)?,
        (Principal::Kiosk, Some(me)) => match issuer {
            Some((k, age)) if k == *me && age <= REPRINT_WINDOW => me.clone(),
            _ => return Err(ApiError::forbidden()),
        },
        _ => return Err(who.refusal()),
    };
    if !status.is_live() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_state",
            "Phiếu này không còn hiệu lực; không in lại.",
            "This ticket is no longer live; it is not printed again.",
        ));
    }
    let printer = match app.printers.get(&name) {
        Some(p) => p,
        None if app.printers.kiosk_of_name(&name) => return Err(no_printer()),
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_printer",
                format!("Không có ki-ốt nào tên \"{name}\" có máy in."),
                format!("No kiosk named \"{name}\" has a printer."),
            ))
        }
    };
    let url = links.ticket(&id);
    let print = queue(&app, printer, &id, &url, true);
    let answer = PrintAnswer {
        ticket: id.to_string(),
        print,
    };
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// Every kiosk printer with its state, for the supervisor dashboard.
#[utoipa::path(
    get,
    path = "/printers",
    tag = "printing",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<PrinterState>),
        (status = 403, description = "`forbidden`", body = ErrorBody),
    ),
)]
pub async fn printers(
    State(app): State<AppState>,
    who: Principal,
) -> ApiResult<Json<Vec<PrinterState>>> {
    who.require_supervisor()?;
    let list = app
        .printers
        .all()
        .map(|p| {
            let h = p.health();
            PrinterState {
                name: p.name.clone(),
                printer: p.spec.target.to_string(),
                paper_mm: p.spec.paper.mm(),
                two_way: p.spec.target.two_way(),
                state: h.condition.word(),
                since: h.condition.since(),
                last_error: h.last_error,
                last_reason: h.last_reason,
                last_error_at: h.last_error_at,
                last_printed_at: h.last_printed_at,
                printed: h.printed,
                failed: h.failed,
                queued: p.queued(),
            }
        })
        .collect();
    Ok(Json(list))
}

/// The answer of `POST /api/v1/tickets/{id}/reprint`.
#[derive(Serialize, ToSchema)]
pub struct PrintAnswer {
    pub ticket: String,
    pub print: TicketPrint,
}

/// A kiosk's printer as the supervisor dashboard lists it.
#[derive(Serialize, ToSchema)]
pub struct PrinterState {
    /// The kiosk's device name.
    pub name: String,
    /// `tcp://HOST:PORT`, `usb:/dev/…` or `file:PATH`.
    pub printer: String,
    pub paper_mm: u32,
    /// Whether its paper status can be asked (network printers).
    pub two_way: bool,
    /// `unknown`, `ok`, `paper_low`, `paper_out` or `offline`.
    pub state: &'static str,
    /// Start of the current fault.
    pub since: Option<DateTime<FixedOffset>>,
    /// The last error in words (English, technical).
    pub last_error: Option<String>,
    /// Its code: `paper_out`, `offline`, `no_answer`, `closed`, `unreachable`, `io`, `busy`.
    pub last_reason: Option<&'static str>,
    pub last_error_at: Option<DateTime<FixedOffset>>,
    pub last_printed_at: Option<DateTime<FixedOffset>>,
    pub printed: u64,
    pub failed: u64,
    /// Jobs waiting in its queue.
    pub queued: usize,
}
