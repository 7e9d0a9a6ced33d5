//! Abuse limits (config `[limits]`), as one middleware in front of every route:
//!
//! - **ticket issuing** (`POST /api/v1/tickets`): a token bucket per token and one per client
//!   address (`issue_per_min_token`, `issue_per_min_ip`); past it, 429 `rate_limited` with
//!   `Retry-After`. Login has its own lockout (auth.rs).
//! - **booking codes** (`DELETE /api/v1/bookings/{code}`, `POST /api/v1/checkins`): a code
//!   is its citizen's capability and has 31⁶ values, so wrong guesses are counted per client
//!   address and per token; `code_failures` answers `unknown_booking` within `code_window_s`
//!   lock that address or token out of both routes for `code_lockout_s` (429 `rate_limited`
//!   with `Retry-After`, whatever the code, right ones included). Right codes neither count
//!   nor clear the count (see [`CodeGuard`]).
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

use axum::body::Body;
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
    codes: CodeGuard,
    /// Keys of [`Limiter::token_key`] (random per process).
    token_hasher: std::collections::hash_map::RandomState,
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
            codes: CodeGuard::default(),
            token_hasher: Default::default(),
        })
    }

    /// A token as a key of the limiter's maps: a keyed hash of fixed size (a client's token
    /// may be any string up to the header limit; the maps hold neither it nor its length).
    fn token_key(&self, token: &str) -> String {
        use std::hash::BuildHasher;
        format!("{:016x}", self.token_hasher.hash_one(token))
    }

    /// Whether `key`'s bucket of `per_min` has a token left, without taking it (nor making
    /// a bucket); Err(seconds to wait) when empty.
    fn peek(&self, key: &str, per_min: u32) -> Result<(), u64> {
        let wait = self
            .buckets
            .get(key)
            .and_then(|b| refill(*b, per_min, Instant::now()).1);
        wait.map_or(Ok(()), Err)
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
        let now = Instant::now();
        let mut b = self.buckets.entry(key).or_insert((f64::from(per_min), now));
        let (tokens, wait) = refill(*b, per_min, now);
        match wait {
            None => {
                *b = (tokens - 1.0, now);
                Ok(())
            }
            Some(wait) => {
                *b = (tokens, now);
                Err(wait)
            }
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

/// Wrong booking codes per key (`ip:<address>`, `token:<token>`).
#[derive(Default)]
pub struct CodeGuard {
    entries: DashMap<String, CodeEntry>,
    checks: AtomicUsize,
}

#[derive(Debug, Clone, Copy)]
struct CodeEntry {
    /// Wrong codes since `since` (reset when the window has passed or a lockout begins).
    failures: u32,
    /// Look-ups under way: counted as possible failures, so that a burst of concurrent
    /// guesses cannot pass the limit before the first answers come back.
    pending: u32,
    /// The first wrong code of the window.
    since: Instant,
    locked_until: Option<Instant>,
}

impl CodeEntry {
    fn idle(&self, now: Instant, window: Duration) -> bool {
        self.pending == 0
            && self.locked_until.is_none_or(|u| u <= now)
            && (self.failures == 0 || now.duration_since(self.since) >= window)
    }
}

/// One look-up under way under the code limit, ended when dropped: as a wrong code once
/// [`CodeAttempt::finish`] saw `unknown_booking`, else (right code, timeout) as not wrong.
pub struct CodeAttempt {
    limiter: Arc<Limiter>,
    keys: Vec<String>,
    wrong: bool,
}

impl Drop for CodeAttempt {
    fn drop(&mut self) {
        self.limiter.codes_done(&self.keys, self.wrong);
    }
}

impl CodeAttempt {
    /// Counts the answer: `unknown_booking` is a wrong code. Returns the answer unchanged.
    async fn finish(mut self, resp: Response) -> Response {
        if resp.status() != StatusCode::NOT_FOUND {
            return resp;
        }
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, 64 * 1024)
            .await
            .unwrap_or_default();
        self.wrong = serde_json::from_slice::<serde_json::Value>(&bytes)
            .is_ok_and(|v| v["error"]["code"] == "unknown_booking");
        Response::from_parts(parts, Body::from(bytes))
    }
}

impl Limiter {
    /// Starts a booking-code look-up for `keys`; Err(seconds to wait) while one of them is
    /// locked out, or while the look-ups under way could reach its limit.
    fn codes_begin(self: &Arc<Self>, keys: Vec<String>) -> Result<CodeAttempt, u64> {
        let now = Instant::now();
        let window = Duration::from_secs(u64::from(self.cfg.code_window_s));
        if self
            .codes
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.codes.entries.retain(|_, e| !e.idle(now, window));
        }
        let mut taken: Vec<String> = Vec::with_capacity(keys.len());
        for key in keys {
            let mut e = self.codes.entries.entry(key.clone()).or_insert(CodeEntry {
                failures: 0,
                pending: 0,
                since: now,
                locked_until: None,
            });
            let refusal = match e.locked_until {
                Some(until) if until > now => Some((until - now).as_secs_f64().ceil() as u64),
                _ => {
                    e.locked_until = None;
                    if now.duration_since(e.since) >= window {
                        e.failures = 0;
                    }
                    (e.failures + e.pending >= self.cfg.code_failures).then_some(1)
                }
            };
            if let Some(wait) = refusal {
                drop(e);
                self.codes_done(&taken, false);
                return Err(wait.max(1));
            }
            e.pending += 1;
            taken.push(key);
        }
        Ok(CodeAttempt {
            limiter: self.clone(),
            keys: taken,
            wrong: false,
        })
    }

    /// Ends look-ups of `keys`; a wrong code counts, and the limit's last one locks out.
    fn codes_done(&self, keys: &[String], wrong: bool) {
        let now = Instant::now();
        let window = Duration::from_secs(u64::from(self.cfg.code_window_s));
        let lockout = Duration::from_secs(u64::from(self.cfg.code_lockout_s));
        for key in keys {
            if let Some(mut e) = self.codes.entries.get_mut(key) {
                e.pending = e.pending.saturating_sub(1);
                if wrong {
                    if e.failures == 0 || now.duration_since(e.since) >= window {
                        e.failures = 0;
                        e.since = now;
                    }
                    e.failures += 1;
                    if e.failures >= self.cfg.code_failures {
                        e.failures = 0;
                        e.locked_until = Some(now + lockout);
                        let who = key.split_once(':').map_or("?", |(kind, _)| kind);
                        let ip = key.strip_prefix("ip:").unwrap_or("-");
                        tracing::warn!(who, ip, "too many wrong booking codes: locked out");
                    }
                }
            }
            self.codes
                .entries
                .remove_if(key, |_, e| e.idle(now, window));
        }
    }
}

/// Whether a request looks a booking code up: cancelling a booking, checking one in, or
/// looking one up before cancelling.
fn code_lookup(req: &Request) -> bool {
    let path = req.uri().path();
    match *req.method() {
        Method::DELETE => path
            .strip_prefix("/api/v1/bookings/")
            .is_some_and(|code| !code.is_empty() && !code.contains('/')),
        Method::POST => path == "/api/v1/checkins",
        Method::GET => path
            .strip_prefix("/api/v1/booking-lookup/")
            .is_some_and(|code| !code.is_empty() && !code.contains('/')),
        _ => false,
    }
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The token of a request as auth.rs reads it: the `Authorization` header, else `?token=`
/// (percent-decoded, so that spellings of one token share its count).
fn any_token(req: &Request) -> Option<String> {
    bearer(req).map(str::to_string).or_else(|| {
        axum::extract::Query::<TokenQuery>::try_from_uri(req.uri())
            .ok()
            .and_then(|q| q.0.token)
            .filter(|t| !t.is_empty())
    })
}

/// 429 for a client locked out of booking codes.
fn codes_limited(retry_s: u64) -> Response {
    let mut resp = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("Nhập sai mã lịch hẹn quá nhiều lần; hãy thử lại sau {retry_s} giây."),
        format!("Too many wrong booking codes; try again in {retry_s} seconds."),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_s.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// The client's address, when the server was started with connect info.
fn client_ip(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// A bucket `(tokens, last refill)` of `per_min` refilled up to `now`: the tokens it then
/// holds, and when less than one, the seconds until there is one.
fn refill((tokens, last): (f64, Instant), per_min: u32, now: Instant) -> (f64, Option<u64>) {
    let cap = f64::from(per_min);
    let rate = cap / 60.0;
    let tokens = (tokens + now.duration_since(last).as_secs_f64() * rate).min(cap);
    let wait = (tokens < 1.0).then(|| ((1.0 - tokens) / rate).ceil().max(1.0) as u64);
    (tokens, wait)
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
        // The address is looked at first, so that a client sending made-up tokens is stopped
        // before each of them gets a bucket of its own; it is charged only for a request
        // that its token's bucket lets through.
        let ip_key = ip.map(|ip| format!("ip:{ip}"));
        if let Some(key) = &ip_key {
            if let Err(wait) = lim.peek(key, lim.cfg.issue_per_min_ip) {
                return limited(wait);
            }
        }
        let token = lim.token_key(bearer(&req).unwrap_or("-"));
        if let Err(wait) = lim.take(format!("t:{token}"), lim.cfg.issue_per_min_token) {
            return limited(wait);
        }
        if let Some(key) = ip_key {
            if let Err(wait) = lim.take(key, lim.cfg.issue_per_min_ip) {
                return limited(wait);
            }
        }
    }
    let mut attempt = None;
    if code_lookup(&req) && !exempt {
        let mut keys: Vec<String> = ip.map(|ip| format!("ip:{ip}")).into_iter().collect();
        keys.extend(any_token(&req).map(|t| format!("token:{}", lim.token_key(&t))));
        match lim.codes_begin(keys) {
            Ok(a) => attempt = Some(a),
            Err(wait) => return codes_limited(wait),
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
    let resp = match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) if api => as_api_error(resp).await,
        Ok(resp) => resp,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "Yêu cầu mất quá nhiều thời gian và đã bị hủy.",
            "The request took too long and was abandoned.",
        )
        .into_response(),
    };
    match attempt {
        Some(a) => a.finish(resp).await,
        None => resp,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Made-up tokens from one address stop getting buckets once the address is limited.
    #[tokio::test]
    async fn made_up_tokens_do_not_grow_the_buckets_past_the_address_limit() {
        use tower_service::Service;
        let lim = Limiter::new(&Limits {
            issue_per_min_ip: 4,
            issue_per_min_token: 100,
            exempt_loopback: false,
            ..Limits::default()
        });
        let mut app = axum::Router::new()
            .route("/api/v1/tickets", axum::routing::post(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(lim.clone(), guard));
        let peer = ConnectInfo(SocketAddr::from(([10, 0, 0, 7], 5000)));
        let mut statuses = Vec::new();
        for i in 0..50 {
            let mut req = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/tickets")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer made-up-{i}-{}", "x".repeat(4000)),
                )
                .body(Body::empty())
                .expect("request");
            req.extensions_mut().insert(peer);
            let resp = app.call(req).await.expect("infallible");
            statuses.push(resp.status().as_u16());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 4);
        assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 46);
        // The address's bucket and the four tokens that got through, each a 16-digit key.
        assert_eq!(lim.buckets.len(), 5);
        assert!(
            lim.buckets.iter().all(|b| b.key().len() <= 20),
            "keys of fixed size"
        );
    }

    fn limiter(failures: u32) -> Arc<Limiter> {
        Limiter::new(&Limits {
            code_failures: failures,
            code_lockout_s: 60,
            ..Limits::default()
        })
    }

    fn keys(ip: &str) -> Vec<String> {
        vec![format!("ip:{ip}"), "token:kiosk".to_string()]
    }

    /// One finished look-up: `wrong` as if it had answered `unknown_booking`.
    fn look_up(lim: &Arc<Limiter>, k: Vec<String>, wrong: bool) -> Result<(), u64> {
        let mut a = lim.codes_begin(k)?;
        a.wrong = wrong;
        Ok(())
    }

    #[test]
    fn wrong_codes_lock_out_and_right_ones_neither_count_nor_clear() {
        let lim = limiter(3);
        look_up(&lim, keys("10.0.0.1"), true).expect("1st");
        look_up(&lim, keys("10.0.0.1"), true).expect("2nd");
        for _ in 0..5 {
            look_up(&lim, keys("10.0.0.1"), false).expect("right codes pass");
        }
        look_up(&lim, keys("10.0.0.1"), true).expect("3rd wrong is answered");
        let wait = look_up(&lim, keys("10.0.0.1"), false).expect_err("locked out");
        assert!((59..=60).contains(&wait), "{wait}");
        // The token is locked too, from any address; another address without it is not.
        assert!(look_up(&lim, keys("10.0.0.2"), false).is_err());
        look_up(&lim, vec!["ip:10.0.0.2".into()], false).expect("address 2 without the token");
    }

    #[test]
    fn look_ups_under_way_count_until_answered() {
        let lim = limiter(2);
        let first = lim.codes_begin(keys("10.0.0.1")).expect("1st");
        let second = lim.codes_begin(keys("10.0.0.1")).expect("2nd");
        assert_eq!(lim.codes_begin(keys("10.0.0.1")).err(), Some(1));
        // Answered with right codes (or dropped on a timeout): nothing counted, all clean.
        drop((first, second));
        assert!(lim.codes.entries.is_empty());
        look_up(&lim, keys("10.0.0.1"), false).expect("free again");
    }
}
