//! The OpenAPI 3.1 document of the HTTP API, generated from the code with `utoipa` and served
//! at `GET /api/v1/openapi.json` (issue 7).
//!
//! Each handler carries its own `#[utoipa::path]` (method, path, role, body, success answer
//! and the errors particular to it); this module holds the doc-only answer schemas (the
//! handlers build their JSON with `serde_json::json!`, so these structs mirror docs/API.md),
//! the bearer security scheme, and [`CommonErrors`], which adds to every operation the errors
//! any request may get: 400 (a path, query or body that does not parse), 401 (a bad token),
//! 408 (`request_timeout`), 413 (a body over 16 KiB) and 503 (`unavailable`, storage down)
//! for writes. Every error has the body [`ErrorBody`].

use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, FixedOffset, NaiveDate};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Doc, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{appointments, counters, desk, devices, print, reads, tickets, voice};

/// `{"error": {"code": "…", "message": "…"}}` — every 4xx/5xx answer.
#[derive(ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `not_found`, `rate_limited`, `unavailable`.
    pub code: String,
    /// Vietnamese, or English with `Accept-Language: en`.
    pub message: String,
    /// The request field the error is about, where there is one (admin forms).
    pub field: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Done,
    NoShow,
    Transferred,
    Cancelled,
    Expired,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CounterState {
    Open,
    Paused,
    Closed,
}

/// A ticket. `id` is absent for public and display viewers; `waiting_ahead` and `eta_s` are
/// null unless waiting.
#[derive(ToSchema)]
pub struct Ticket {
    pub id: Option<String>,
    pub number: String,
    pub service: String,
    pub priority: Option<String>,
    pub status: TicketStatus,
    pub issued_at: DateTime<FixedOffset>,
    pub called_at: Option<DateTime<FixedOffset>>,
    pub finished_at: Option<DateTime<FixedOffset>>,
    pub counter: Option<u32>,
    /// Staff id of the clerk who called it.
    pub clerk: Option<String>,
    pub recalls: u32,
    pub waiting_ahead: Option<u32>,
    pub eta_s: Option<u64>,
    /// Booking code (staff only), when the ticket came from a check-in.
    pub booking: Option<String>,
    /// Present (true) on tickets taken from home.
    pub remote: Option<bool>,
    /// `GET /api/v1/tickets/{id}` only: whether it was rated.
    pub rated: Option<bool>,
    /// Citizens' answers: the address of its phone page, what its QR code encodes.
    pub url: Option<String>,
    /// Issue and check-in answers of a kiosk with a `printer` only: the daemon prints it.
    pub print: Option<TicketPrint>,
}

/// How a kiosk's ticket is printed by the daemon (src/print).
#[derive(ToSchema)]
pub struct TicketPrint {
    /// `daemon`.
    pub by: String,
    /// The kiosk (device name) whose printer prints it.
    pub printer: String,
    /// `queued` (the outcome follows as a `print` frame on the kiosk's WebSocket) or
    /// `failed` (known at once: the printer is down or its queue is full).
    pub state: String,
    /// Why it failed: `paper_out`, `offline`, `queue_full`, …
    pub reason: Option<String>,
}

/// The answer of `POST /api/v1/tickets/{id}/reprint`.
#[derive(ToSchema)]
pub struct PrintAnswer {
    pub ticket: String,
    pub print: TicketPrint,
}

/// A kiosk's printer as the supervisor dashboard lists it.
#[derive(ToSchema)]
pub struct PrinterState {
    /// The kiosk's device name.
    pub name: String,
    /// `tcp://HOST:PORT`, `usb:/dev/…` or `file:PATH`.
    pub printer: String,
    pub paper_mm: u32,
    /// Whether its paper status can be asked (network printers).
    pub two_way: bool,
    /// `unknown`, `ok`, `paper_low`, `paper_out` or `offline`.
    pub state: String,
    /// Start of the current fault.
    pub since: Option<DateTime<FixedOffset>>,
    /// The last error in words (English, technical).
    pub last_error: Option<String>,
    /// Its code: `paper_out`, `offline`, `no_answer`, `closed`, `unreachable`, `io`, `busy`.
    pub last_reason: Option<String>,
    pub last_error_at: Option<DateTime<FixedOffset>>,
    pub last_printed_at: Option<DateTime<FixedOffset>>,
    pub printed: u64,
    pub failed: u64,
    /// Jobs waiting in its queue.
    pub queued: u32,
}

#[derive(ToSchema)]
pub struct Health {
    pub status: String,
    pub seq: u64,
    /// Milliseconds since the writer's last heartbeat.
    pub writer_beat_ms: Option<u64>,
}

/// The snapshot (docs/API.md "Snapshot, in full"); `waiting` only for staff tokens.
#[derive(ToSchema)]
pub struct Snapshot {
    pub seq: u64,
    pub day: NaiveDate,
    pub now: DateTime<FixedOffset>,
    #[schema(value_type = Object)]
    pub centre: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub priorities: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub services: Vec<serde_json::Value>,
    pub counters: Vec<Counter>,
    #[schema(value_type = Vec<Object>)]
    pub recent_calls: Vec<serde_json::Value>,
    pub dossier: Option<Dossier>,
    pub waiting: Option<Vec<Ticket>>,
}

#[derive(ToSchema)]
pub struct ClerkRef {
    pub id: String,
    pub name: String,
    pub photo: Option<String>,
}

#[derive(ToSchema)]
pub struct Counter {
    pub id: u32,
    pub name: String,
    pub status: CounterState,
    pub services: Vec<String>,
    pub mode: String,
    pub clerk: Option<ClerkRef>,
    pub current: Option<Ticket>,
    pub served: u32,
}

#[derive(ToSchema)]
pub struct StaffRef {
    pub id: String,
    pub name: Option<String>,
}

#[derive(ToSchema)]
pub struct Me {
    pub role: String,
    pub staff: Option<StaffRef>,
    pub counter: Option<u32>,
    pub served_today: u32,
    pub avg_service_s: Option<i64>,
    pub current: Option<Ticket>,
}

#[derive(ToSchema)]
pub struct LoginAnswer {
    pub token: String,
    /// `clerk` or `supervisor`.
    pub role: String,
    pub counter: Option<u32>,
    pub staff: StaffRef,
}

/// After a logout the counter has no clerk.
#[derive(ToSchema)]
pub struct LogoutAnswer {
    pub counter: u32,
    #[schema(value_type = Option<Object>)]
    pub clerk: Option<serde_json::Value>,
}

#[derive(ToSchema)]
pub struct NextAnswer {
    /// The ticket that was at the counter, now finished.
    pub finished: Option<Ticket>,
    /// The ticket called; null when nobody waits.
    pub ticket: Option<Ticket>,
}

#[derive(ToSchema)]
pub struct TicketAnswer {
    pub ticket: Option<Ticket>,
}

#[derive(ToSchema)]
pub struct LastServed {
    pub number: String,
    pub service: String,
    pub finished_at: Option<DateTime<FixedOffset>>,
    pub clerk: Option<String>,
    pub rated: bool,
}

#[derive(ToSchema)]
pub struct RatingTarget {
    pub counter: u32,
    pub clerk: Option<ClerkRef>,
    pub ticket: Option<LastServed>,
}

#[derive(ToSchema)]
pub struct Rating {
    pub ticket: String,
    pub number: String,
    pub service: String,
    pub counter: Option<u32>,
    pub clerk: Option<String>,
    #[schema(minimum = 1, maximum = 4)]
    pub score: u8,
    pub comment: Option<String>,
    /// `counter` or `phone`.
    pub source: String,
    pub phone: Option<String>,
}

/// Day figures (docs/API.md "Stats"): `totals`, per service, counter, clerk and hour.
#[derive(ToSchema)]
pub struct Stats {
    pub day: NaiveDate,
    #[schema(value_type = Object)]
    pub totals: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub services: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub counters: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub clerks: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub hours: Vec<serde_json::Value>,
}

#[derive(ToSchema)]
pub struct Slot {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub capacity: u32,
    pub free: u32,
}

#[derive(ToSchema)]
pub struct BookingCreated {
    pub code: String,
    pub service: String,
    pub start: DateTime<FixedOffset>,
}

#[derive(ToSchema)]
pub struct BookingCancelled {
    pub code: String,
    /// `cancelled`.
    pub status: String,
    pub service: Option<String>,
    pub start: Option<DateTime<FixedOffset>>,
}

#[derive(ToSchema)]
pub struct BookingRow {
    pub code: String,
    pub service: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub ticket: Option<Ticket>,
}

#[derive(ToSchema)]
pub struct BookingList {
    pub day: NaiveDate,
    pub bookings: Vec<BookingRow>,
}

#[derive(ToSchema)]
pub struct ServiceLeft {
    pub id: String,
    pub left: u32,
}

#[derive(ToSchema)]
pub struct RemoteAllowance {
    pub per_client: u32,
    pub used: u32,
    pub left: u32,
    pub services: Vec<ServiceLeft>,
}

#[derive(ToSchema)]
pub struct Dossier {
    pub received: u32,
    pub on_time: u32,
    pub overdue: u32,
    pub as_of: DateTime<FixedOffset>,
}

/// A binary upload (a recording, a voice pack).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct AudioBody(pub Vec<u8>);

/// One clip's state (`GET /api/v1/voice` lists them).
pub type VoiceClip = crate::voice::studio::ClipState;

/// `PUT /api/v1/voice/{lang}/{clip}`: the clip's new state and what processing did.
#[derive(ToSchema)]
pub struct VoiceRecorded {
    pub clip: VoiceClip,
    pub report: crate::voice::process::Report,
}

/// The document: every route of `api::router` under `/api/v1`, plus `/healthz` and `/metrics`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "xephang API",
        version = "1",
        description = "Lobby queue of a one-stop public service centre (docs/API.md)."
    ),
    paths(
        reads::healthz, reads::metrics, reads::state, reads::me, reads::stats,
        reads::daily_csv, reads::daily_xlsx, reads::dossier,
        tickets::issue, tickets::get_one, tickets::cancel, tickets::requeue, tickets::qr,
        tickets::rate, tickets::slots, tickets::book, tickets::cancel_booking, tickets::check_in,
        counters::login, counters::logout, counters::next, counters::recall, counters::no_show,
        counters::finish, counters::transfer, counters::status, counters::rating_target,
        appointments::list, appointments::qr, appointments::allowance,
        appointments::remote_issue, appointments::callbacks_csv, openapi_json,
        voice::list, voice::record, voice::remove, voice::audio, voice::preview, voice::export,
        voice::import,
        print::reprint, print::printers,
        devices::list,
        desk::no_shows, desk::queue, desk::ratings_today, desk::booking_lookup,
        super::report_range::range_xlsx,
        super::uplink::uplink,
        super::admin::counter, super::admin::service, super::admin::notice, super::admin::audit,
        super::admin::counters, super::admin::services, super::admin::notice_now,
        super::admin_staff::list, super::admin_staff::add, super::admin_staff::update,
        super::admin_staff::reset_pin, super::admin_staff::photo, super::admin_staff::change_pin,
        super::admin_devices::list, super::admin_devices::add, super::admin_devices::rename,
        super::admin_devices::revoke,
    ),
    modifiers(&CommonErrors)
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: this document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    let body = ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_string());
    ([(header::CONTENT_TYPE, "application/json")], body)
}

/// Adds the bearer scheme and the errors every operation may answer.
pub struct CommonErrors;

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
        .into()
}

fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| error_response(description));
}

impl Modify for CommonErrors {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        for item in doc.paths.paths.values_mut() {
            let ops: [(HttpMethod, &mut Option<Operation>); 5] = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                if has_params || has_body {
                    add(
                        op,
                        "400",
                        "`bad_request`: a path, query or body that does not parse",
                    );
                }
                if op.security.is_some() {
                    add(
                        op,
                        "401",
                        "`unauthorized`: a token that is not valid (or none where one is needed)",
                    );
                }
                add(op, "408", "`request_timeout`");
                if has_body {
                    add(op, "413", "`payload_too_large`: a body over 16 KiB");
                }
                if method != HttpMethod::Get {
                    add(
                        op,
                        "503",
                        "`unavailable`: the journal cannot be written; nothing was done",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(method, path)` of every `.route(...)` of `api::router`, read from its source:
    /// `/api/v1` routes, `/healthz` and `/metrics` (not the WebSocket or the pages).
    fn router_routes() -> Vec<(String, String)> {
        // The router, and the route files merged into it (`.merge(file::routes())`).
        let sources = [
            (include_str!("mod.rs"), "pub fn router"),
            (include_str!("print.rs"), "pub fn routes"),
            (include_str!("voice.rs"), "pub fn routes"),
            (include_str!("devices.rs"), "pub fn routes"),
            (include_str!("desk.rs"), "pub fn routes"),
            (include_str!("report_range.rs"), "pub fn routes"),
            (include_str!("uplink.rs"), "pub fn routes"),
            (include_str!("admin.rs"), "pub fn routes"),
            (include_str!("admin_staff.rs"), "pub fn routes"),
            (include_str!("admin_devices.rs"), "pub fn routes"),
        ];
        let mut out = Vec::new();
        for (src, start) in sources {
            let body = &src[src.find(start).expect("router fn")..];
            let end = body.find("\n}\n").unwrap_or(body.len());
            routes_in(&body[..end], &mut out);
        }
        out.retain(|(_, p)| p != "/ws");
        out
    }

    fn routes_in(body: &str, out: &mut Vec<(String, String)>) {
        let mut rest = body;
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + 7..];
            let end = rest.find(".route(").unwrap_or(rest.len());
            let call = &rest[..end];
            let path = call.split('"').nth(1).expect("path literal").to_string();
            let full = if path == "/healthz" || path == "/metrics" || path == "/ws" {
                path
            } else {
                format!("/api/v1{path}")
            };
            for m in ["get", "post", "put", "delete", "patch"] {
                if call.contains(&format!("{m}(")) {
                    out.push((m.to_string(), full.clone()));
                }
            }
        }
    }

    #[test]
    fn the_document_parses_and_lists_every_router_path() {
        let json = ApiDoc::openapi().to_json().expect("serializes");
        let doc: serde_json::Value = serde_json::from_str(&json).expect("parses");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
        let routes = router_routes();
        assert!(routes.len() >= 33, "{routes:?}");
        for (method, path) in &routes {
            let op = &doc["paths"][path][method];
            assert!(
                op.is_object(),
                "{method} {path} is not in the OpenAPI document"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}"
            );
            for (status, r) in responses {
                if !status.starts_with('2') {
                    let schema = &r["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path}");
                }
            }
        }
        let listed: usize = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .map(|item| item.as_object().map_or(0, |m| m.len()))
            .sum();
        assert_eq!(
            listed,
            routes.len(),
            "document lists a route the router lacks"
        );
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }
}
