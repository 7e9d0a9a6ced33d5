//! The hub's HTTP face (HUB.md, "Contract"): health, the uplink ingest, the public reads of
//! every centre (the lobby's shapes), the lobby's WebSocket protocol per centre, the
//! province's stats and report, and the pages (the lobby's screens reused: the phone page
//! is `displays/ticket.html` under `/c/{centre}/t/{id}`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use chrono::NaiveDate;
use deadpool_postgres::Pool;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::centres::Registry;
use super::config::{HubConfig, HubRole};
use super::ingest::{self, IngestError};
use super::summary::Summaries;
use super::{db, figures};
use crate::api::error::{ApiError, ApiResult};
use crate::api::{limits, pages, ws};
use crate::uplink::wire::{Ack, Push};
use crate::view::{self, Audience};

/// Largest push accepted (2,000 events of a busy lobby fit many times over).
const MAX_PUSH: usize = 16 * 1024 * 1024;

pub struct Hub {
    pub config: Arc<HubConfig>,
    pub pool: Pool,
    pub registry: Arc<Registry>,
    pub summaries: Summaries,
    pub shutdown: watch::Receiver<bool>,
    pub ws_clients: AtomicU64,
    pub ws_dropped_slow: AtomicU64,
}

pub type HubState = Arc<Hub>;

pub fn router(hub: HubState) -> Router {
    let limiter = limits::Limiter::new(&crate::config::Limits::default());
    let api = Router::new()
        .route(
            "/uplink",
            post(uplink).layer(DefaultBodyLimit::max(MAX_PUSH)),
        )
        .route("/centres", get(centres))
        .route("/centres/{id}/state", get(state))
        .route("/centres/{id}/tickets/{tid}", get(ticket))
        .route("/province/centres", get(province_centres))
        .route("/province/stats", get(province_stats))
        .route("/province/report.xlsx", get(province_report))
        .fallback(|| async { ApiError::not_found() });
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route("/ws", get(centre_socket))
        .route("/ws/centres", get(public_list_socket))
        .route("/ws/province", get(province_list_socket))
        .route("/", get(|| async { page("hub.html") }))
        .route("/province", get(|| async { page("province.html") }))
        .route("/c/{centre}/t/{id}", get(|| async { page("ticket.html") }))
        .route("/assets/{*path}", get(asset))
        .layer(DefaultBodyLimit::max(crate::api::MAX_BODY))
        .layer(middleware::from_fn_with_state(limiter, limits::guard))
        .layer(middleware::from_fn(crate::api::error::localize))
        .with_state(hub)
}

fn page(name: &str) -> Response {
    match pages::embedded(name) {
        Some(body) => pages::file_response(name, body),
        None => (StatusCode::NOT_FOUND, "Không tìm thấy / Not found").into_response(),
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    page(&path)
}

async fn healthz(State(hub): State<HubState>) -> Response {
    if db::ping(&hub.pool).await {
        Json(json!({"status": "ok", "database": "ok"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "degraded", "database": "unreachable"})),
        )
            .into_response()
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn conflict(code: &'static str, vi: &str, en: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, vi, en)
}

async fn uplink(
    State(hub): State<HubState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<Ack>> {
    let centre = bearer(&headers)
        .and_then(|t| hub.config.centre_by_token(t))
        .ok_or_else(ApiError::unauthorized)?;
    let push: Push = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("not an uplink push: {e}")))?;
    if push.centre != centre.id {
        return Err(ApiError::forbidden());
    }
    match ingest::ingest(&hub.pool, &push).await {
        Ok(done) => {
            let last_seq = done.last_seq;
            if let Err(e) = hub
                .registry
                .ingested(&centre.id, done.new, done.spec_changed)
                .await
            {
                // Stored: the read model catches up at the next notification or restart.
                tracing::warn!(centre = %centre.id, error = %e, "read model update failed after ingest");
            }
            Ok(Json(Ack { last_seq }))
        }
        Err(IngestError::Identity) => {
            tracing::error!(centre = %centre.id, identity = %push.identity, "refused a push from another data directory (a wiped lobby?)");
            hub.registry.changed.notify_one();
            Err(conflict(
                "identity_mismatch",
                "Trung tâm này đã được một máy khác (định danh dữ liệu khác) gửi lên trước; máy đã bị xóa dữ liệu? Dữ liệu bị từ chối cho đến khi quản trị viên tỉnh xử lý.",
                "Another data directory pushed this centre first (was this lobby's data wiped?); its events are refused until the province's operator resolves it (docs/HUB-SQL.md).",
            ))
        }
        Err(IngestError::Gap(last)) => Err(conflict(
            "uplink_gap",
            &format!(
                "Thiếu sự kiện: trung tâm tỉnh có đến số {last}; gửi tiếp từ {}.",
                last + 1
            ),
            &format!(
                "Missing events: the hub holds up to seq {last}; send from {}.",
                last + 1
            ),
        )),
        Err(IngestError::SpecNeeded) => Err(conflict(
            "spec_needed",
            "Trung tâm tỉnh chưa có cấu hình của trung tâm này; gửi kèm cấu hình.",
            "The hub has no spec for this centre yet; send it with the push.",
        )),
        Err(IngestError::Bad(m)) => Err(ApiError::bad_request(m)),
        Err(IngestError::Db(e)) => {
            tracing::warn!(error = %e, "ingest failed");
            Err(ApiError::unavailable(&e.to_string()))
        }
    }
}

fn json_text(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn centres(State(hub): State<HubState>) -> Response {
    let list = hub.summaries.public.borrow().clone();
    json_text(&list)
}

fn live(hub: &Hub, id: &str) -> ApiResult<Arc<super::centres::Live>> {
    hub.registry.get(id).ok_or_else(ApiError::not_found)
}

async fn state(State(hub): State<HubState>, Path(id): Path<String>) -> ApiResult<Response> {
    let live = live(&hub, &id)?;
    let body = live
        .read
        .current()
        .snapshot_json(Audience::Public, live.now());
    Ok(json_text(&body))
}

async fn ticket(
    State(hub): State<HubState>,
    Path((id, tid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let live = live(&hub, &id)?;
    let tid = crate::api::command::parse_ticket_id(&tid)?;
    let model = live.read.current();
    let t = model.ticket(&tid).ok_or_else(ApiError::not_found)?;
    // `url`, as the lobby's answer has it: this ticket's page here, at the address asked.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let page = crate::api::links::Links::hub_centre(host, &id).ticket(&tid);
    let mut v = view::own_ticket_value(t);
    if let Value::Object(m) = &mut v {
        m.insert("rated".into(), json!(model.rating(&tid).is_some()));
        m.insert("url".into(), json!(page));
    }
    Ok(Json(v))
}

fn require_province(hub: &Hub, headers: &HeaderMap, query_token: Option<&str>) -> ApiResult<()> {
    let token = bearer(headers)
        .or(query_token)
        .ok_or_else(ApiError::unauthorized)?;
    match hub.config.device_by_token(token) {
        Some(d) if d.role == HubRole::Province => Ok(()),
        Some(_) => Err(ApiError::forbidden()),
        None => Err(ApiError::unauthorized()),
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: Option<String>,
}

async fn province_centres(
    State(hub): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    require_province(&hub, &headers, q.token.as_deref())?;
    let list = hub.summaries.province.borrow().clone();
    Ok(json_text(&list))
}

#[derive(Deserialize)]
struct DayQuery {
    #[serde(default)]
    day: Option<NaiveDate>,
    #[serde(default)]
    token: Option<String>,
}

fn today(hub: &Hub) -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&hub.config.timezone)
        .date_naive()
}

async fn province_stats(
    State(hub): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<figures::ProvinceDoc>> {
    require_province(&hub, &headers, q.token.as_deref())?;
    let day = q.day.unwrap_or_else(|| today(&hub));
    let doc = figures::province_day(&hub.pool, &hub.registry.all(), day)
        .await
        .map_err(|e| ApiError::unavailable(&e.to_string()))?;
    Ok(Json(doc))
}

#[derive(Deserialize)]
struct RangeQuery {
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
    #[serde(default)]
    token: Option<String>,
}

async fn province_report(
    State(hub): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Response> {
    require_province(&hub, &headers, q.token.as_deref())?;
    let from = q.from.unwrap_or_else(|| today(&hub));
    let to = q.to.unwrap_or(from);
    if to < from || (to - from).num_days() > 366 {
        return Err(ApiError::bad_request("from ≤ to, at most 366 days"));
    }
    let bytes = figures::report_xlsx(&hub.pool, &hub.registry.all(), &hub.config.name, from, to)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let name = format!("attachment; filename=\"xephang-tinh-{from}-{to}.xlsx\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct WsQuery {
    #[serde(default)]
    centre: Option<String>,
    #[serde(default)]
    since: Option<u64>,
    #[serde(default)]
    ticket: Option<String>,
}

/// `GET /ws?centre=…`: the lobby's WebSocket protocol for that centre (public audience),
/// the same socket loop as the lobby's ([`ws::serve`]).
async fn centre_socket(
    State(hub): State<HubState>,
    Query(q): Query<WsQuery>,
    slot: Option<axum::Extension<Arc<limits::WsSlot>>>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    let id = q
        .centre
        .clone()
        .ok_or_else(|| ApiError::bad_request("centre= is required"))?;
    let live = live(&hub, &id)?;
    let ticket = q.ticket.as_deref().and_then(|t| t.parse().ok());
    Ok(upgrade
        .max_message_size(ws::READ_LIMIT)
        .max_frame_size(ws::READ_LIMIT)
        .read_buffer_size(ws::READ_BUFFER)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            hub.ws_clients.fetch_add(1, Ordering::Relaxed);
            let now = || live.now();
            let feed = ws::Feed {
                read: &live.read,
                now: &now,
                dropped_slow: &hub.ws_dropped_slow,
                shutdown: hub.shutdown.clone(),
                revoked: None,
            };
            let why = ws::serve(feed, socket, Audience::Public, q.since, ticket, None, None).await;
            hub.ws_clients.fetch_sub(1, Ordering::Relaxed);
            tracing::debug!(centre = %id, why, "websocket closed");
        }))
}

async fn public_list_socket(State(hub): State<HubState>, upgrade: WebSocketUpgrade) -> Response {
    let rx = hub.summaries.public.clone();
    let stop = hub.shutdown.clone();
    upgrade.on_upgrade(move |s| list_socket(s, rx, stop))
}

async fn province_list_socket(
    State(hub): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    require_province(&hub, &headers, q.token.as_deref())?;
    let rx = hub.summaries.province.clone();
    let stop = hub.shutdown.clone();
    Ok(upgrade.on_upgrade(move |s| list_socket(s, rx, stop)))
}

/// Sends `{"type":"centres","centres":[…]}` now and whenever the list changes.
async fn list_socket(
    mut socket: WebSocket,
    mut rx: watch::Receiver<Arc<str>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut ping = tokio::time::interval(ws::PING_EVERY);
    loop {
        let msg = {
            let list = rx.borrow_and_update().clone();
            format!("{{\"type\":\"centres\",\"centres\":{list}}}")
        };
        let sent =
            tokio::time::timeout(ws::SEND_TIMEOUT, socket.send(Message::Text(msg.into()))).await;
        if !matches!(sent, Ok(Ok(()))) {
            return;
        }
        loop {
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() { return; }
                    break;
                }
                m = socket.recv() => match m {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
                _ = ping.tick() => {
                    let p = tokio::time::timeout(Duration::from_secs(10), socket.send(Message::Ping(Default::default()))).await;
                    if !matches!(p, Ok(Ok(()))) { return; }
                }
                _ = stop.changed() => return,
            }
        }
    }
}
