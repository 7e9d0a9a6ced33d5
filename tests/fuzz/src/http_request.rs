//! The `http_request` fuzz target: requests decoded from the input (`http_input.rs`) go
//! through the daemon's real router — auth, `limits::guard`, the JSON error rewriting, the
//! body limit, the handlers and the engine behind them — in process, with no socket.
//!
//! One app per process ([`xephang::server::build_app`], the assembly `server::run` uses) on
//! the embedded demo centre, its journal in a temporary directory under /dev/shm (fsync is
//! cheap there), a current-thread Tokio runtime, and a clock of its own that starts on a
//! Monday at 09:00 and moves only when an input says so (at most 1 h per 1,000 inputs). The
//! state persists from one input to the next, as in a lobby, so a finding may need the inputs
//! before it: `XEPHANG_FUZZ_TRACE=1` prints every request and answer. A finding is a panic:
//!
//! - a handler panics (it unwinds through `block_on`), or any other thread does (the engine's
//!   writer, the blocking pool: seen by a panic hook, and by the writer having stopped);
//! - a 5xx other than 503 `unavailable`, a 503 that reports a panic, or a 408 (a hang);
//! - an error answer under `/api/` or `/ws` that is not `{"error":{"code","message"}}` with
//!   a snake_case code and a message, whose code contradicts its status (401, 403, 413, 429,
//!   503), or whose message is Vietnamese although the request asked for English;
//! - a success on a kiosk, clerk (own counter) or supervisor route for a request that holds
//!   no token of such a role (docs/API.md, roles), or a public snapshot that shows the queue
//!   or ticket ids;
//! - a 2xx JSON answer that does not parse;
//! - afterwards `GET /healthz` is not 200, or the supervisor's snapshot breaks an invariant:
//!   two live tickets (waiting and counters' current) with one number or one id, a waiting
//!   ticket not `waiting`, a current one not `called`, or a service's `waiting` count that
//!   disagrees with its waiting tickets.
//!
//! Harness choices (not the daemon's): the demo staff's PIN hashes are replaced by argon2id
//! hashes of the same PINs with minimal cost parameters, so that a login costs microseconds
//! instead of ~30 ms; the clerk of counter 1 (nv01, whose token was obtained once through
//! `POST /api/v1/login`) is put back on duty through the engine when an input logged them
//! out; and when more than [`MAX_WAITING`] tickets wait or the day has more than
//! [`MAX_DAY_EVENTS`] events, the clock jumps to 09:00 of the next day (the day change
//! expires the waiting tickets; reports and `/me` read the whole day), so that per-input work
//! stays small. The journal keeps every day's file (a few MB each, in /dev/shm).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use chrono::{DateTime, Duration, FixedOffset, Timelike};
use serde_json::Value;
use tower_service::Service;
use xephang::api::AppState;
use xephang::config::DeviceRole;
use xephang::domain::event::ClerkRef;
use xephang::domain::ids::{CounterId, StaffId};
use xephang::domain::Command;
use xephang::engine::Actor;

use super::http_app::{demo_app, start_ms};
use super::http_input::{decode, Req, PLACEHOLDERS};
use super::http_oracles::{check_answer, check_snapshot, Role, Sent};

/// Waiting tickets beyond which the harness moves to the next day.
pub const MAX_WAITING: usize = 250;
/// Events in one business day beyond which the harness moves to the next day (a busy
/// provincial centre has ~3,000 tickets a day; reports and `/me` read the whole day).
pub const MAX_DAY_EVENTS: u64 = 6_000;
const DISPLAY: &str = "demo-display-token-0001";
const KIOSK: &str = "demo-kiosk-token-00001";
const RATING: &str = "demo-rating-token-0001";
const SUPERVISOR: &str = "demo-supervisor-token-01";
/// A well-formed ticket id that no ticket has.
const NO_TICKET: &str = "01KAQ4N3W9Z8X7Y6V5T4S3R2Q1";
/// Clock time each input adds to the budget that inputs' clock steps draw from: 1 h per
/// 1,000 inputs, so that a business day (09:00 to midnight) spans at least ~15,000 inputs
/// (unbounded, libFuzzer soon steps the clock in most inputs: days of ~150 inputs).
const CLOCK_PER_INPUT_MS: i64 = 3_600;
/// The most the budget holds (and holds at start).
const CLOCK_BUDGET_MAX_MS: i64 = 2 * 3_600_000;
/// How often (in inputs) a status line goes to stderr.
const REPORT_EVERY: u64 = 20_000;

static HARNESS: OnceLock<Harness> = OnceLock::new();
/// Set by a panic in one of the daemon's own threads: the engine's writer, Tokio's blocking
/// pool (a panic there becomes a 503, so it must be seen here). Under libFuzzer any panic
/// aborts anyway; this is for the replay in `cargo test`, whose other tests panic on purpose.
static OTHER_PANIC: AtomicBool = AtomicBool::new(false);

/// What the harness learnt from earlier answers.
#[derive(Default)]
struct Memory {
    tickets: VecDeque<String>,
    codes: VecDeque<String>,
    cookie: Option<String>,
    /// The seq whose snapshot was last checked.
    checked_seq: Option<u64>,
    inputs: u64,
    /// When the next status line is due (in inputs).
    next_report: u64,
    day_changes: u64,
    /// The business day of the last snapshot, and the seq when the harness first saw it.
    day: String,
    day_first_seq: u64,
    /// How far inputs may still move the clock (see [`CLOCK_PER_INPUT_MS`]).
    clock_budget_ms: i64,
}

struct Harness {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    app: AppState,
    writer: std::thread::JoinHandle<()>,
    _shutdown: tokio::sync::watch::Sender<bool>,
    /// The data folder's lock, held for the harness's life as `xephang run` holds it.
    _lock: xephang::datalock::DataLock,
    now_ms: Arc<AtomicI64>,
    clerk: String,
    forged: String,
    memory: Mutex<Memory>,
    /// `XEPHANG_FUZZ_TRACE=1`: print every request and its answer (to read a finding).
    trace: bool,
}

/// The body of the target: decode, send, check.
pub fn http_request(data: &[u8]) {
    let h = HARNESS.get_or_init(Harness::start);
    let reqs = decode(data);
    h.rt.block_on(h.run(&reqs));
}

impl Harness {
    fn start() -> Harness {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().map(str::to_string);
            if matches!(
                name.as_deref(),
                Some("xephang-engine" | "tokio-runtime-worker")
            ) {
                OTHER_PANIC.store(true, Ordering::SeqCst);
            }
            previous(info);
        }));
        let now_ms = Arc::new(AtomicI64::new(start_ms()));
        let built = demo_app(now_ms.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        let mut h = Harness {
            rt,
            router: built.router,
            app: built.app,
            writer: built.writer,
            _shutdown: built.shutdown,
            _lock: built.lock,
            now_ms,
            clerk: String::new(),
            forged: String::new(),
            memory: Mutex::new(Memory {
                clock_budget_ms: CLOCK_BUDGET_MAX_MS,
                next_report: REPORT_EVERY,
                ..Memory::default()
            }),
            trace: std::env::var_os("XEPHANG_FUZZ_TRACE").is_some(),
        };
        let body = r#"{"staff":"nv01","pin":"1234","counter":1}"#;
        let req = Request::post("/api/v1/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("a login request");
        let (status, _, answer) = h.rt.block_on(h.send(req, loopback()));
        assert_eq!(status, StatusCode::OK, "setup login: {answer:?}");
        let answer: Value = serde_json::from_slice(&answer).expect("login answer is JSON");
        h.clerk = answer["token"]
            .as_str()
            .expect("login answer has a token")
            .to_string();
        let mut forged = h.clerk.clone();
        let last = if forged.pop() == Some('0') { '1' } else { '0' };
        forged.push(last);
        h.forged = forged;
        h
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> DateTime<FixedOffset> {
        xephang::engine::local_now(&self.app.spec(), &self.app.clock)
    }

    async fn run(&self, reqs: &[Req]) {
        {
            // One guard: the temporaries of an assignment's right side live to the end of the
            // statement, so locking on both sides deadlocks.
            let mut mem = self.memory();
            mem.clock_budget_ms =
                (mem.clock_budget_ms + CLOCK_PER_INPUT_MS).min(CLOCK_BUDGET_MAX_MS);
        }
        for req in reqs {
            let ms = {
                let mut mem = self.memory();
                let ms = (req.advance_s * 1000).min(mem.clock_budget_ms);
                mem.clock_budget_ms -= ms;
                ms
            };
            if ms > 0 {
                self.advance(ms).await;
            }
            let Some(request) = self.build(req) else {
                continue;
            };
            let method = request.method().clone();
            let path = request.uri().path().to_string();
            let what = format!(
                "{method} {} (auth {:?}, body {} bytes)",
                request.uri(),
                String::from_utf8_lossy(&req.auth),
                req.body.len()
            );
            let roles = self.roles_of(&request);
            let target = request.uri().to_string();
            let non_ascii = target.contains('%')
                || !target.is_ascii()
                || !req.body.is_ascii()
                || req.body.windows(2).any(|w| w == b"\\u");
            let peer = SocketAddr::new(req.peer, 40000);
            let (status, headers, body) = self.send(request, peer).await;
            if self.trace {
                eprintln!(
                    "{what} -> {status} {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                );
            }
            let sent = Sent {
                what: &what,
                method: &method,
                path: &path,
                roles: &roles,
                english: req.accept_language.starts_with("en"),
                non_ascii,
            };
            check_answer(&sent, status, &headers, &body);
            self.remember(status, &headers, &body);
        }
        self.check_after().await;
    }

    /// The roles whose tokens appear in the request's `Authorization` header or query.
    fn roles_of(&self, request: &Request<Body>) -> Vec<Role> {
        let auth = request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_string())
            .unwrap_or_default();
        let query = request.uri().query().unwrap_or("");
        let present = |token: &str| auth.contains(token) || query.contains(token);
        let mut roles: Vec<Role> = self
            .app
            .config
            .devices
            .iter()
            .filter(|d| present(&d.token))
            .map(|d| match d.role {
                DeviceRole::Display => Role::Display,
                DeviceRole::Kiosk => Role::Kiosk,
                DeviceRole::Rating => Role::Rating(d.counter.map_or(0, |c| c.0)),
                DeviceRole::Supervisor => Role::Supervisor,
            })
            .collect();
        if present(&self.clerk) {
            roles.push(Role::Clerk(1));
        }
        roles
    }

    /// Moves the engine's clock forward and lets the engine see it (day change, alerts).
    async fn advance(&self, ms: i64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
        self.app.engine.tick().await;
        // Commands are handled in order: once this refusal is back, the tick is done.
        let sync = Command::Next {
            counter: CounterId(u32::MAX),
        };
        let _ = self
            .app
            .engine
            .execute(sync, Actor("fuzz harness".into()))
            .await;
    }

    /// `raw` with its placeholders filled in; `pick` chooses among remembered ids and codes.
    fn fill(&self, raw: &[u8], pick: u8) -> Vec<u8> {
        if !raw.contains(&b'{') {
            return raw.to_vec();
        }
        let now = self.now();
        let mem = self.memory();
        let pick = |list: &VecDeque<String>, fallback: &str| {
            if list.is_empty() {
                fallback.to_string()
            } else {
                list[usize::from(pick) % list.len()].clone()
            }
        };
        let quarter = 15 * 60;
        let secs = i64::from(now.num_seconds_from_midnight());
        let slot = now + Duration::seconds((secs / quarter + 1) * quarter - secs);
        let slot = slot.with_nanosecond(0).unwrap_or(slot);
        let value = |p: &str| -> String {
            match p {
                "{TICKET}" => pick(&mem.tickets, NO_TICKET),
                "{CODE}" => pick(&mem.codes, "ABCD23"),
                "{DAY}" => now.date_naive().to_string(),
                "{TOMORROW}" => (now + Duration::days(1)).date_naive().to_string(),
                "{SLOT}" => slot.to_rfc3339(),
                "{NOW}" => now.to_rfc3339(),
                "{SEQ}" => mem.checked_seq.unwrap_or(0).to_string(),
                "{DISPLAY}" => DISPLAY.into(),
                "{KIOSK}" => KIOSK.into(),
                "{RATING}" => RATING.into(),
                "{SUPERVISOR}" => SUPERVISOR.into(),
                "{CLERK}" => self.clerk.clone(),
                _ => self.forged.clone(),
            }
        };
        let mut out = Vec::with_capacity(raw.len() + 32);
        let mut i = 0;
        while i < raw.len() {
            let hit = PLACEHOLDERS
                .iter()
                .find(|p| raw[i..].starts_with(p.as_bytes()));
            match hit {
                Some(p) => {
                    out.extend_from_slice(value(p).as_bytes());
                    i += p.len();
                }
                None => {
                    out.push(raw[i]);
                    i += 1;
                }
            }
        }
        out
    }

    /// The request as hyper would hand it to the router, or None when hyper would have
    /// refused it already (a method or target that does not parse).
    fn build(&self, req: &Req) -> Option<Request<Body>> {
        let method = Method::from_bytes(&req.method).ok()?;
        let uri = Uri::try_from(&self.fill(&req.target, req.pick)[..]).ok()?;
        let origin_form = uri.path().starts_with('/');
        if !(origin_form || (method == Method::CONNECT && uri.authority().is_some())) {
            return None;
        }
        let body = self.fill(&req.body, req.pick);
        if self.trace && !body.is_empty() {
            eprintln!(
                "  body: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
        }
        let mut b = Request::builder().method(method).uri(uri);
        let mut set = |name: header::HeaderName, value: &[u8]| {
            if let Ok(v) = HeaderValue::from_bytes(value) {
                b = std::mem::take(&mut b).header(name, v);
            }
        };
        set(header::HOST, b"127.0.0.1:8080");
        if !req.auth.is_empty() {
            set(header::AUTHORIZATION, &self.fill(&req.auth, req.pick));
        }
        for (name, value) in [
            (header::CONTENT_TYPE, req.content_type),
            (header::ACCEPT_LANGUAGE, req.accept_language),
            (header::ORIGIN, req.origin),
        ] {
            if !value.is_empty() {
                set(name, value.as_bytes());
            }
        }
        match req.cookie {
            1 => set(header::COOKIE, b"xephang_client=0123abcd.00112233445566ff"),
            2 => {
                let cookie = self.memory().cookie.clone();
                if let Some(c) = cookie {
                    set(header::COOKIE, c.as_bytes());
                }
            }
            _ => {}
        }
        if req.upgrade {
            set(header::CONNECTION, b"upgrade");
            set(header::UPGRADE, b"websocket");
            set(header::SEC_WEBSOCKET_VERSION, b"13");
            set(header::SEC_WEBSOCKET_KEY, b"dGhlIHNhbXBsZSBub25jZQ==");
        }
        if !body.is_empty() {
            set(header::CONTENT_LENGTH, body.len().to_string().as_bytes());
        }
        b.body(Body::from(body)).ok()
    }

    async fn send(
        &self,
        mut req: Request<Body>,
        peer: SocketAddr,
    ) -> (StatusCode, HeaderMap, axum::body::Bytes) {
        req.extensions_mut().insert(ConnectInfo(peer));
        let mut router = self.router.clone();
        let ready = std::future::poll_fn(|cx| {
            <axum::Router as Service<Request<Body>>>::poll_ready(&mut router, cx)
        })
        .await;
        let Ok(()) = ready;
        let Ok(resp) = router.call(req).await;
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("a response body that cannot be read");
        (parts.status, parts.headers, bytes)
    }

    /// Ticket ids, booking codes and the client cookie from a successful answer.
    fn remember(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) {
        if !status.is_success() {
            return;
        }
        let mut mem = self.memory();
        if let Some(c) = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
        {
            mem.cookie = c.split(';').next().map(str::to_string);
        }
        if body.len() > 64 * 1024 || !body.starts_with(b"{") {
            return;
        }
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            harvest(&v, &mut mem, 0);
        }
    }

    /// The daemon still answers and its state is consistent.
    async fn check_after(&self) {
        assert!(
            !self.writer.is_finished(),
            "the engine's writer thread has stopped (a panic while deciding, applying or publishing?)"
        );
        assert!(
            !OTHER_PANIC.load(Ordering::SeqCst),
            "a thread of the daemon (engine, blocking pool) panicked (see the message above)"
        );
        let req = Request::get("/healthz")
            .body(Body::empty())
            .expect("a health request");
        let (status, _, body) = self.send(req, loopback()).await;
        assert_eq!(status, StatusCode::OK, "GET /healthz after the input");
        let health: Value = serde_json::from_slice(&body).expect("/healthz answers JSON");
        assert_eq!(health["status"], "ok", "/healthz: {health}");
        let seq = health["seq"].as_u64().expect("/healthz has a seq");
        let report = {
            let mut mem = self.memory();
            mem.inputs += 1;
            if mem.checked_seq == Some(seq) {
                return;
            }
            mem.checked_seq = Some(seq);
            let due = mem.inputs >= mem.next_report;
            if due {
                mem.next_report = mem.inputs + REPORT_EVERY;
            }
            due
        };
        let req = Request::get("/api/v1/state")
            .header(header::AUTHORIZATION, format!("Bearer {SUPERVISOR}"))
            .body(Body::empty())
            .expect("a state request");
        let (status, _, body) = self.send(req, loopback()).await;
        assert_eq!(status, StatusCode::OK, "GET /api/v1/state (supervisor)");
        let snap: Value = serde_json::from_slice(&body).expect("the snapshot is JSON");
        let waiting = check_snapshot(&snap);
        let on_duty = snap["counters"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["id"] == 1))
            .is_some_and(|c| c["clerk"]["id"] == "nv01");
        {
            let mut mem = self.memory();
            harvest(&snap["waiting"][0], &mut mem, 0);
            harvest(&snap["counters"], &mut mem, 0);
            if snap["day"].as_str() != Some(mem.day.as_str()) {
                mem.day = snap["day"].as_str().unwrap_or("").to_string();
                mem.day_first_seq = seq;
            }
            if report {
                eprintln!(
                    "http_request: {} inputs, seq {seq}, day {} ({} events), {waiting} waiting, {} forced day changes",
                    mem.inputs, mem.day, seq - mem.day_first_seq, mem.day_changes
                );
            }
        }
        if !on_duty {
            let clerk = ClerkRef {
                id: StaffId("nv01".into()),
                name: "Nguyễn Văn An".into(),
                photo: None,
            };
            let cmd = Command::Login {
                counter: CounterId(1),
                clerk,
            };
            let _ = self
                .app
                .engine
                .execute(cmd, Actor("fuzz harness".into()))
                .await;
        }
        let day_events = seq - self.memory().day_first_seq;
        if waiting > MAX_WAITING || day_events > MAX_DAY_EVENTS {
            let now = self.now();
            let next = (now.date_naive() + Duration::days(1))
                .and_hms_opt(9, 0, 0)
                .and_then(|t| t.and_local_timezone(*now.offset()).single())
                .expect("09:00 exists in a fixed offset");
            self.advance((next - now).num_milliseconds()).await;
            self.memory().day_changes += 1;
        }
    }
}

fn loopback() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40000)
}

/// Remembers ticket ids (objects with a `number` and an `id`) and booking codes (objects
/// with a `code` and a `start`) found in `v`, newest first, at most 16 of each.
fn harvest(v: &Value, mem: &mut Memory, depth: usize) {
    fn push(list: &mut VecDeque<String>, s: &str) {
        if !list.iter().any(|x| x == s) {
            list.push_front(s.to_string());
            list.truncate(16);
        }
    }
    match v {
        Value::Object(m) if depth < 6 => {
            if let (Some(Value::String(id)), true) = (m.get("id"), m.contains_key("number")) {
                push(&mut mem.tickets, id);
            }
            if let (Some(Value::String(code)), true) = (m.get("code"), m.contains_key("start")) {
                push(&mut mem.codes, code);
            }
            for x in m.values() {
                harvest(x, mem, depth + 1);
            }
        }
        Value::Array(a) if depth < 6 => {
            for x in a.iter().take(64) {
                harvest(x, mem, depth + 1);
            }
        }
        _ => {}
    }
}
