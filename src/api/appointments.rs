//! Appointments seen by supervisors, remote tickets and the post-visit call-back list
//! (issue 8). Booking, cancelling and checking in are in `tickets.rs`; this module adds:
//!
//! - `GET /api/v1/bookings?day=` (supervisor): the day's bookings with the names and phone
//!   numbers citizens left and the ticket each check-in got;
//! - `GET /api/v1/bookings/{code}/qr.svg` (public): a QR code of a booking code, for the
//!   kiosk's scanner (it types the code like a keyboard);
//! - `GET` / `POST /api/v1/remote-tickets` (public): a ticket taken from a phone, for services
//!   with `remote = true`, within the service's daily `remote_cap` and `remote_per_client` per
//!   client and day, both decided by the engine (a client is its address plus the signed
//!   `xephang_client` cookie; the journal keeps only a keyed per-day hash of it, so the
//!   per-client count survives a restart without storing addresses — issue 7);
//! - `GET /api/v1/reports/callbacks.csv?day=` (supervisor): the day's served tickets with the
//!   phone number the citizen volunteered (booking or phone page) and their rating or none.
//!
//! Personal data of past days is read back from their journal files; once a day is before
//! the purge horizon (`personal_data_purged`, `[centre] personal_data_days`) its names and
//! phone numbers are blanked before anything is shown.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, NaiveDate};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Principal;
use super::error::{ApiError, ApiJson, ApiResult};
use super::links::Links;
use super::tickets::{run, ticket_of};
use super::{openapi, AppState};
use crate::csv::cell;
use crate::domain::event::{Booking, ClientTag, Rating, RatingSource};
use crate::domain::ids::{ServiceId, TicketId, CODE_ALPHABET, CODE_LEN};
use crate::domain::personal::horizon;
use crate::domain::ticket::{Status, Ticket};
use crate::domain::Command;
use crate::read::history::model_of_day;
use crate::view;

/// The cookie that tells one phone from another behind the same address.
pub const CLIENT_COOKIE: &str = "xephang_client";

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    #[serde(default)]
    day: Option<NaiveDate>,
}

/// What one business day holds about bookings, tickets and ratings, personal data blanked
/// when the day is past the purge horizon.
struct DayData {
    day: NaiveDate,
    tickets: Vec<Ticket>,
    bookings: Vec<Booking>,
    ratings: HashMap<TicketId, Rating>,
}

/// The first day whose personal data may still be shown: the later of the last
/// `personal_data_purged` and what the config says today (in case the timer has not run yet).
fn purge_horizon(app: &AppState, today: NaiveDate) -> NaiveDate {
    let event = app.read.current().purged_before();
    let configured = horizon(today, app.spec().personal_data_days);
    event.map_or(configured, |e| e.max(configured))
}

/// Today and later from memory; a past day replayed from its journal file.
fn day_data(app: &AppState, day: Option<NaiveDate>) -> ApiResult<DayData> {
    let current = app.read.current();
    let today = current.day();
    let day = day.unwrap_or(today);
    // A future day's bookings are in today's model; a past day is replayed from its file.
    let model = if day > today {
        current
    } else {
        model_of_day(current, &app.data_dir.join("journal"), day, app.now())
            .map_err(|e| ApiError::unavailable(&e.to_string()))?
            .ok_or_else(ApiError::not_found)?
    };
    let keep_from = purge_horizon(app, today);
    let model = if day < keep_from {
        Arc::new(model.without_personal_data_before(keep_from))
    } else {
        model
    };
    let bookings = model
        .bookings()
        .filter(|b| b.start.date_naive() == day)
        .cloned()
        .collect();
    if day > today {
        return Ok(DayData {
            day,
            tickets: Vec::new(),
            bookings,
            ratings: HashMap::new(),
        });
    }
    Ok(DayData {
        day,
        tickets: model.tickets().cloned().collect(),
        bookings,
        ratings: model.ratings().map(|r| (r.ticket, r.clone())).collect(),
    })
}

async fn day_data_blocking(app: &AppState, day: Option<NaiveDate>) -> ApiResult<DayData> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || day_data(&app, day))
        .await
        .map_err(|e| ApiError::unavailable(&e.to_string()))?
}

/// `GET /api/v1/bookings?day=`: the day's bookings for supervisors, by slot.
#[utoipa::path(
    get,
    path = "/api/v1/bookings",
    tag = "appointments",
    security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, body = openapi::BookingList),
        (status = 403, description = "`forbidden`", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 503, description = "`unavailable`", body = openapi::ErrorBody),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<Value>> {
    who.require_supervisor()?;
    let data = day_data_blocking(&app, q.day).await?;
    let tickets: HashMap<TicketId, &Ticket> = data.tickets.iter().map(|t| (t.id, t)).collect();
    let mut bookings = data.bookings.clone();
    bookings.sort_by(|a, b| (a.start, &a.code).cmp(&(b.start, &b.code)));
    let list: Vec<Value> = bookings
        .iter()
        .map(|b| {
            let len = app
                .spec()
                .service(&b.service)
                .and_then(|s| s.appointments.as_ref())
                .map_or(0, |a| a.slot_min);
            let ticket = b
                .checked_in
                .and_then(|id| tickets.get(&id))
                .map(|t| view::own_ticket(t));
            json!({
                "code": b.code, "service": b.service, "start": b.start,
                "end": b.start + Duration::minutes(i64::from(len)),
                "name": b.name, "phone": b.phone, "ticket": ticket,
            })
        })
        .collect();
    Ok(Json(json!({"day": data.day, "bookings": list})))
}

/// `GET /api/v1/bookings/{code}/qr.svg`: a QR code holding the booking code itself, so the
/// kiosk's scanner types it. Any well-formed code is drawn (nothing is looked up, so the
/// route tells nobody whether a code exists).
#[utoipa::path(
    get,
    path = "/api/v1/bookings/{code}/qr.svg",
    tag = "appointments",
    params(("code" = String, Path, description = "Booking code")),
    responses(
        (status = 200, description = "SVG QR code", content_type = "image/svg+xml"),
        (status = 404, description = "`not_found`: a malformed code", body = openapi::ErrorBody),
    ),
)]
pub async fn qr(Path(code): Path<String>) -> ApiResult<impl IntoResponse> {
    let code = code.trim().to_ascii_uppercase();
    let well_formed = code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
    if !well_formed {
        return Err(ApiError::not_found());
    }
    let qr = qrcode::QrCode::new(code.as_bytes())
        .map_err(|e| ApiError::bad_request(format!("QR: {e}")))?;
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}

/// The client of a request: its address and the id of its `xephang_client` cookie (None
/// when it sent no valid one).
fn client_of(app: &AppState, peer: &SocketAddr, headers: &HeaderMap) -> (String, Option<String>) {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(&format!("{CLIENT_COOKIE}=")))
        .find_map(|v| app.keys.client_of(v));
    let key = format!("{}|{}", peer.ip(), cookie.as_deref().unwrap_or("-"));
    (key, cookie)
}

/// The client's tag for the business day a remote ticket asked for now belongs to (the
/// engine never goes back to an earlier day).
fn tag_of(app: &AppState, key: &str) -> ClientTag {
    let day = app.now().date_naive().max(app.read.day());
    ClientTag(app.keys.client_tag(day, key))
}

/// A `Set-Cookie` for a new client id, when the request had none.
fn new_cookie(app: &AppState, had: &Option<String>) -> Option<HeaderValue> {
    if had.is_some() {
        return None;
    }
    let mut id = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut id);
    let value = app.keys.client_cookie(&hex::encode(id));
    HeaderValue::from_str(&format!(
        "{CLIENT_COOKIE}={value}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
    ))
    .ok()
}

fn with_cookie(mut resp: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// Remote tickets of a service today (for what is left of its `remote_cap`).
fn remote_taken(app: &AppState, service: &ServiceId) -> u32 {
    app.read.current().remote_issued(service)
}

/// `GET /api/v1/remote-tickets`: what this phone may still take today, per service.
#[utoipa::path(
    get,
    path = "/api/v1/remote-tickets",
    tag = "appointments",
    responses((status = 200, body = openapi::RemoteAllowance)),
)]
pub async fn allowance(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (key, cookie) = client_of(&app, &peer, &headers);
    let tag = tag_of(&app, &key);
    let used = app.read.current().remote_count(&tag);
    let cap = app.config.remote_per_client;
    let services: Vec<Value> = app
        .spec()
        .services
        .iter()
        .filter(|s| s.remote)
        .map(
            |s| json!({"id": s.id, "left": s.remote_cap.saturating_sub(remote_taken(&app, &s.id))}),
        )
        .collect();
    let body = json!({
        "per_client": cap, "used": used, "left": cap.saturating_sub(used), "services": services,
    });
    with_cookie(Json(body).into_response(), new_cookie(&app, &cookie))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteBody {
    #[schema(example = "gplx")]
    service: String,
}

/// `POST /api/v1/remote-tickets`: a ticket taken from a phone.
#[utoipa::path(
    post,
    path = "/api/v1/remote-tickets",
    tag = "appointments",
    request_body = RemoteBody,
    responses(
        (status = 201, body = openapi::Ticket),
        (status = 404, description = "`unknown_service`", body = openapi::ErrorBody),
        (status = 409, description = "`service_closed`, `range_exhausted`", body = openapi::ErrorBody),
        (status = 429, description = "`rate_limited`", body = openapi::ErrorBody),
    ),
)]
pub async fn remote_issue(
    State(app): State<AppState>,
    links: Links,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RemoteBody>,
) -> ApiResult<Response> {
    let (key, cookie) = client_of(&app, &peer, &headers);
    let cmd = Command::IssueRemote {
        service: ServiceId(body.service),
        client: tag_of(&app, &key),
        per_client: app.config.remote_per_client,
    };
    let events = run(&app, &Principal::Public, cmd).await?;
    let resp = (StatusCode::CREATED, Json(ticket_of(&app, &links, &events))).into_response();
    Ok(with_cookie(resp, new_cookie(&app, &cookie)))
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
        let clerk = t.clerk.as_ref().map_or(String::new(), |id| {
            match app.keys.directory.get().staff(id) {
                Some(s) => format!("{} ({id})", s.name),
                None => id.to_string(),
            }
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

impl DayData {
    fn bookings_by_code(&self) -> HashMap<crate::domain::ids::BookingCode, &Booking> {
        self.bookings.iter().map(|b| (b.code.clone(), b)).collect()
    }
}

/// `GET /api/v1/reports/callbacks.csv?day=`: the hotline's call-back list.
#[utoipa::path(
    get,
    path = "/api/v1/reports/callbacks.csv",
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
pub async fn callbacks_csv(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<DayQuery>,
) -> ApiResult<Response> {
    who.require_supervisor()?;
    let data = day_data_blocking(&app, q.day).await?;
    let csv = callbacks(&app, &data);
    let name = format!("xephang-goi-lai-{}.csv", data.day);
    Ok(super::reads::attachment(super::reads::CSV, &name, csv))
}
