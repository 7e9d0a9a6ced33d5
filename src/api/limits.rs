//! Abuse limits (config `[limits]`), as one middleware in front of every route:
//!
//! - **ticket issuing** (`POST /api/v1/tickets`): a token bucket per token and one per client
//!   address (`issue_per_min_token`, `issue_per_min_ip`); past it, 429 `rate_limited` with
//!   `Retry-After`. Login has its own lockout (auth.rs).
//! - **WebSockets** (`GET /ws`): at most `ws_total` open sockets (503 `unavailable` past it)
//!   and `ws_per_ip` from one address (429); a browser page of another site (its `Origin`
//!   names another host than `Host`) without a token is refused with 403 `forbidden`.
//! - **request timeout**: a request not answered within `request_timeout_s` gets 408
//!   `request_timeout` (a WebSocket's life after its upgrade is not a request).
//!
//! Loopback clients (127.0.0.1, ::1: the daemon's own PC, the load benchmark) are exempt
//! from the per-token and per-address limits while `exempt_loopback` is true (the default);
//! the total WebSocket cap holds for everyone.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;

use super::error::ApiError;
use crate::config::Limits;

/// Buckets not touched for this long are forgotten (memory stays bounded).
const BUCKET_IDLE: Duration = Duration::from_secs(600);
/// Sweep the buckets every this many checks.
const SWEEP_EVERY: usize = 4096;

/// The limiter's state, shared by every request.
pub struct Limiter {
    cfg: Limits,
    /// Token buckets: key → (tokens left, last refill).
    buckets: DashMap<String, (f64, Instant)>,
    checks: AtomicUsize,
    ws_total: AtomicUsize,
    ws_per_ip: DashMap<IpAddr, usize>,
}

/// One open WebSocket's place under the caps; released when dropped.
pub struct WsSlot {
    limiter: Arc<Limiter>,
    ip: Option<IpAddr>,
}

impl Drop for WsSlot {
    fn drop(&mut self) {
        self.limiter.ws_total.fetch_sub(1, Ordering::Relaxed);
        if let Some(ip) = self.ip {
            if let Some(mut n) = self.limiter.ws_per_ip.get_mut(&ip) {
                *n = n.saturating_sub(1);
            }
            self.limiter.ws_per_ip.remove_if(&ip, |_, n| *n == 0);
        }
    }
}

impl Limiter {
    pub fn new(cfg: &Limits) -> Arc<Limiter> {
        Arc::new(Limiter {
            cfg: cfg.clone(),
            buckets: DashMap::new(),
            checks: AtomicUsize::new(0),
            ws_total: AtomicUsize::new(0),
            ws_per_ip: DashMap::new(),
        })
    }

    /// Takes one token from `key`'s bucket of `per_min`; Err(seconds to wait) when empty.
    fn take(&self, key: String, per_min: u32) -> Result<(), u64> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.buckets
                .retain(|_, (_, last)| last.elapsed() < BUCKET_IDLE);
        }
        let cap = f64::from(per_min);
        let rate = cap / 60.0;
        let now = Instant::now();
        let mut b = self.buckets.entry(key).or_insert((cap, now));
        let (tokens, last) = *b;
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * rate).min(cap);
        if tokens >= 1.0 {
            *b = (tokens - 1.0, now);
            Ok(())
        } else {
            *b = (tokens, now);
            Err(((1.0 - tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    /// A place for one more WebSocket from `ip`.
    fn ws_slot(self: &Arc<Self>, ip: Option<IpAddr>, exempt: bool) -> Result<WsSlot, ApiError> {
        let total = self.ws_total.fetch_add(1, Ordering::Relaxed);
        // From here on the slot's Drop gives the place back, on every path.
        let mut slot = WsSlot {
            limiter: self.clone(),
            ip: None,
        };
        if total >= self.cfg.ws_total as usize {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Máy chủ đã đủ số kết nối; hãy thử lại sau.",
                "The server has as many connections as it takes; try again later.",
            ));
        }
        if let (Some(ip), false) = (ip, exempt) {
            let mut n = self.ws_per_ip.entry(ip).or_insert(0);
            *n += 1;
            slot.ip = Some(ip);
            if *n > self.cfg.ws_per_ip as usize {
                drop(n);
                return Err(ApiError::rate_limited(10));
            }
        }
        Ok(slot)
    }
}

/// The client's address, when the server was started with connect info.
fn client_ip(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The bearer token of the `Authorization` header.
fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Whether the request carries a token (header or `?token=`).
fn has_token(req: &Request) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("token=") && p.len() > 6))
}

/// True when an `Origin` header names another host than the request's `Host`.
fn foreign_origin(req: &Request) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return false;
    };
    let origin = origin.to_str().unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    !origin_host.eq_ignore_ascii_case(host)
}

fn limited(retry_s: u64) -> Response {
    let mut resp = ApiError::rate_limited(retry_s).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_s.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// The middleware (registered in `api::router`).
pub async fn guard(State(lim): State<Arc<Limiter>>, mut req: Request, next: Next) -> Response {
    let ip = client_ip(&req);
    let exempt = lim.cfg.exempt_loopback && ip.is_none_or(|ip| ip.is_loopback());
    let path = req.uri().path().to_string();
    if req.method() == Method::POST && path == "/api/v1/tickets" && !exempt {
        let token = bearer(&req).unwrap_or("-").to_string();
        if let Err(wait) = lim.take(format!("t:{token}"), lim.cfg.issue_per_min_token) {
            return limited(wait);
        }
        if let Some(ip) = ip {
            if let Err(wait) = lim.take(format!("ip:{ip}"), lim.cfg.issue_per_min_ip) {
                return limited(wait);
            }
        }
    }
    if path == "/ws" {
        if foreign_origin(&req) && !has_token(&req) {
            return ApiError::forbidden().into_response();
        }
        match lim.ws_slot(ip, exempt) {
            Ok(slot) => {
                req.extensions_mut().insert(Arc::new(slot));
            }
            Err(e) => return e.into_response(),
        }
    }
    let api = path.starts_with("/api/") || path == "/ws";
    let limit = Duration::from_secs(u64::from(lim.cfg.request_timeout_s));
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) if api => as_api_error(resp).await,
        Ok(resp) => resp,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "Yêu cầu mất quá nhiều thời gian và đã bị hủy.",
            "The request took too long and was abandoned.",
        )
        .into_response(),
    }
}

/// Rejections of axum's extractors (a path segment that is not a number, a bad query
/// string, a wrong method) come as plain text; the API answers every error in its JSON
/// format, so they are rewritten here with their text as the message.
async fn as_api_error(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let detail = match axum::body::to_bytes(resp.into_body(), 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let code = match status {
        StatusCode::BAD_REQUEST => return ApiError::bad_request(detail).into_response(),
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "bad_request",
        s if s.is_server_error() => "unavailable",
        _ => "bad_request",
    };
    let en = if detail.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        detail
    };
    let vi = format!("Yêu cầu không được chấp nhận ({}): {en}", status.as_u16());
    ApiError::new(status, code, vi, en).into_response()
}
