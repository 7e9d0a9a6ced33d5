//! Tickets taken from a phone (issue 8): `GET` / `POST /api/v1/remote-tickets` (public), for
//! services with `remote = true`, within the service's daily `remote_cap` and
//! `remote_per_client` per client and day, both decided by the engine. A client is its
//! address plus the signed `xephang_client` cookie; the journal keeps only a keyed per-day
//! hash of it, so the per-client count survives a restart without storing addresses
//! (issue 7).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::command::{run, ticket_of};
use super::error::{ApiJson, ApiResult, ErrorBody};
use super::links::Links;
use super::views::OwnTicket;
use crate::domain::event::ClientTag;
use crate::domain::ids::ServiceId;
use crate::domain::Command;

/// The cookie that tells one phone from another behind the same address.
pub const CLIENT_COOKIE: &str = "xephang_client";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(allowance, remote_issue))
}

/// What one phone may still take today.
#[derive(Serialize, ToSchema)]
pub struct RemoteAllowance {
    pub per_client: u32,
    pub used: u32,
    pub left: u32,
    pub services: Vec<ServiceLeft>,
}

/// What is left of a service's `remote_cap` today.
#[derive(Serialize, ToSchema)]
pub struct ServiceLeft {
    pub id: String,
    pub left: u32,
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
    path = "/remote-tickets",
    tag = "appointments",
    responses((status = 200, body = RemoteAllowance)),
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
    let services = app
        .spec()
        .services
        .iter()
        .filter(|s| s.remote)
        .map(|s| ServiceLeft {
            id: s.id.0.clone(),
            left: s.remote_cap.saturating_sub(remote_taken(&app, &s.id)),
        })
        .collect();
    let body = RemoteAllowance {
        per_client: cap,
        used,
        left: cap.saturating_sub(used),
        services,
    };
    with_cookie(Json(body).into_response(), new_cookie(&app, &cookie))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteBody {
    #[schema(example = "gplx")]
    service: String,
}

/// `POST /api/v1/remote-tickets`: a ticket taken from a phone.
#[utoipa::path(
    post,
    path = "/remote-tickets",
    tag = "appointments",
    request_body = RemoteBody,
    responses(
        (status = 201, body = OwnTicket),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
        (status = 409, description = "`service_closed`, `range_exhausted`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
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
