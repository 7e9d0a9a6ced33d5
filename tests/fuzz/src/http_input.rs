//! The input encoding of the `http_request` fuzz target: bytes → up to [`MAX_REQUESTS`]
//! HTTP requests, decoded field by field (one selector byte each, 0 when the input has run
//! out), so that libFuzzer's byte mutations move between routes, roles and bodies that the
//! daemon knows instead of spending its time on URIs that match nothing.
//!
//! Per request, in this order: method · path (a route template of `src/api` with fuzzed
//! segments, or raw bytes) · query · `Authorization` · flags (Content-Type, Accept-Language,
//! Origin, peer address) · more flags (cookie, WebSocket upgrade headers) · clock step ·
//! pick (which remembered ticket id / booking code placeholders mean) · body.
//!
//! `{TICKET}`, `{CODE}`, `{DAY}`, `{SLOT}`, the tokens (`{KIOSK}`, `{CLERK}`, …) and the
//! other placeholders of [`PLACEHOLDERS`] are filled in by the harness at send time, from
//! what earlier answers returned and from the engine's clock (see `http_request.rs`).
//!
//! The tables are append-only: changing the order of an entry changes what every committed
//! corpus file means. [`encode`] writes an input from readable choices (the seed corpus).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most requests decoded from one input.
pub const MAX_REQUESTS: usize = 4;

/// Placeholders the harness replaces in targets, header values and bodies.
pub const PLACEHOLDERS: &[&str] = &[
    "{TICKET}",
    "{CODE}",
    "{DAY}",
    "{TOMORROW}",
    "{SLOT}",
    "{NOW}",
    "{SEQ}",
    "{DISPLAY}",
    "{KIOSK}",
    "{RATING}",
    "{SUPERVISOR}",
    "{CLERK}",
    "{FORGED}",
];

pub const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
/// Methods hyper accepts but no route serves (the eighth method choice).
const ODD_METHODS: &[&str] = &["PURGE", "get", "TRACE", "CONNECT", "X-FUZZ"];

/// Every route of `api::router` and `pages::routes`, plus a few near misses. Slots: `{id}`
/// ticket id, `{n}` counter number, `{code}` booking code, `{asset}` / `{sound}` file path,
/// `{staff}` staff id, `{any}` anything.
pub const ROUTES: &[&str] = &[
    "/healthz",
    "/metrics",
    "/ws",
    "/api/v1/state",
    "/api/v1/me",
    "/api/v1/tickets",
    "/api/v1/tickets/{id}",
    "/api/v1/tickets/{id}/requeue",
    "/api/v1/tickets/{id}/qr.svg",
    "/api/v1/login",
    "/api/v1/logout",
    "/api/v1/counters/{n}/next",
    "/api/v1/counters/{n}/recall",
    "/api/v1/counters/{n}/no-show",
    "/api/v1/counters/{n}/finish",
    "/api/v1/counters/{n}/transfer",
    "/api/v1/counters/{n}/status",
    "/api/v1/counters/{n}/rating-target",
    "/api/v1/ratings",
    "/api/v1/stats",
    "/api/v1/reports/daily.csv",
    "/api/v1/reports/daily.xlsx",
    "/api/v1/slots",
    "/api/v1/bookings",
    "/api/v1/bookings/{code}",
    "/api/v1/checkins",
    "/api/v1/bookings/{code}/qr.svg",
    "/api/v1/remote-tickets",
    "/api/v1/reports/callbacks.csv",
    "/api/v1/dossier-stats",
    "/api/v1/openapi.json",
    "/api/v1/{any}",
    "/",
    "/board",
    "/display/{n}",
    "/clerk",
    "/kiosk",
    "/rating/{n}",
    "/supervisor",
    "/book",
    "/t/{id}",
    "/t/new",
    "/assets/{asset}",
    "/sounds/{sound}",
    "/photos/{staff}",
    "/api/v2/state",
    "/api",
    "/api/",
    "/api/v1",
    "/api/v1/counters/{n}",
    "/api/v1/tickets/{id}/{any}",
    "/{any}",
];

const ASSETS: &[&str] = &[
    "board.js",
    "client.js",
    "style.css",
    "logo.svg",
    "index.html",
    "kiosk.html",
    "missing.js",
];
const SOUNDS: &[&str] = &[
    "chime.wav",
    "vi/ba.wav",
    "en/and.wav",
    "gap/300.wav",
    "vi/x.wav",
];

/// Query strings (the `?` is added).
pub const QUERIES: &[&str] = &[
    "token={DISPLAY}",
    "token={KIOSK}",
    "token={SUPERVISOR}",
    "token={CLERK}",
    "token=garbage-token-000000",
    "token=",
    "since=0",
    "since={SEQ}",
    "since=18446744073709551616",
    "since=-1",
    "ticket={TICKET}",
    "ticket=zzz",
    "day={DAY}",
    "day={TOMORROW}",
    "day=2026-11-22",
    "day=1970-01-01",
    "day=99999-99-99",
    "day=2026-02-30",
    "service=hotich",
    "service=tiepdan",
    "service=nope",
    "service=hotich&day={DAY}",
    "service=hotich&day={TOMORROW}",
    "service=tiepdan&day={DAY}",
    "audio=1",
    "token=%ZZ",
    "a=%",
    "since=1&since=2",
    "ticket={TICKET}&since=0",
    "token={RATING}",
    "day=",
    "service=",
];

/// `Authorization` values.
pub const AUTHS: &[&str] = &[
    "",
    "",
    "Bearer {DISPLAY}",
    "Bearer {KIOSK}",
    "Bearer {RATING}",
    "Bearer {SUPERVISOR}",
    "Bearer {CLERK}",
    "Bearer garbage-token-000000",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer {FORGED}",
    "Bearer demo-rating-token-0002",
    "bearer {SUPERVISOR}",
    "Bearer s1.c.nv01.1.99999999999.00",
];

/// JSON bodies (with placeholders).
pub const BODIES: &[&str] = &[
    r#"{"service":"hotich"}"#,
    r#"{"service":"hotich","priority":"elderly"}"#,
    r#"{"service":"datdai","priority":"nope"}"#,
    r#"{"service":"gplx"}"#,
    r#"{"service":"tiepdan"}"#,
    r#"{"service":"nope"}"#,
    r#"{"staff":"nv01","pin":"1234","counter":1}"#,
    r#"{"staff":"nv02","pin":"0000","counter":2}"#,
    r#"{"staff":"nobody","pin":"1","counter":1}"#,
    r#"{"staff":"gs01","pin":"9999"}"#,
    r#"{"status":"open"}"#,
    r#"{"status":"paused"}"#,
    r#"{"status":"closed"}"#,
    r#"{"status":"busy"}"#,
    r#"{"ticket":"{TICKET}","score":4,"comment":"Tốt"}"#,
    r#"{"score":3}"#,
    r#"{"ticket":"{TICKET}","score":5}"#,
    r#"{"ticket":"{TICKET}","score":1,"phone":"0901234567"}"#,
    r#"{"service":"hotich","start":"{SLOT}","name":"Nguyễn Văn A","phone":"0901234567"}"#,
    r#"{"service":"hotich","start":"{SLOT}"}"#,
    r#"{"service":"tiepdan","start":"{SLOT}"}"#,
    r#"{"code":"{CODE}"}"#,
    r#"{"code":"ZZZZZZ"}"#,
    r#"{"received":10,"on_time":8,"overdue":1,"as_of":"{NOW}"}"#,
    r#"{"received":4294967295,"on_time":4294967295,"overdue":4294967295}"#,
    r#"{"service":"datdai"}"#,
    r#"{"staff":"nv03","pin":"1234","counter":3}"#,
    r#"{"staff":"nv01","pin":"1234","counter":99}"#,
    "[]",
    "null",
    "{}",
    r#"{"service":1}"#,
];

const CONTENT_TYPES: &[&str] = &[
    "",
    "application/json",
    "text/plain",
    "application/json; charset=utf-8",
];
const ORIGINS: &[&str] = &["", "http://evil.example", "http://127.0.0.1:8080", "null"];

/// One decoded request (placeholders not yet filled in).
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Vec<u8>,
    /// Path and query as sent (may be an invalid URI: then hyper would refuse it first).
    pub target: Vec<u8>,
    pub auth: Vec<u8>,
    pub content_type: &'static str,
    /// "", "en", "vi" or "en-US,en;q=0.9".
    pub accept_language: &'static str,
    pub origin: &'static str,
    pub peer: IpAddr,
    /// 0 none, 1 a forged client cookie, 2 the last cookie the daemon set.
    pub cookie: u8,
    /// `Connection: upgrade`, `Upgrade: websocket` and a key (no connection to upgrade).
    pub upgrade: bool,
    /// Seconds the engine's clock moves forward before the request.
    pub advance_s: i64,
    /// Which remembered ticket id / booking code the placeholders stand for.
    pub pick: u8,
    pub body: Vec<u8>,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let start = self.pos.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.pos = end;
        &self.data[start..end]
    }

    fn pick<'t>(&mut self, table: &[&'t str]) -> &'t str {
        table[usize::from(self.byte()) % table.len()]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// Decodes the requests of one input (at least one; an empty input is one GET /healthz).
pub fn decode(data: &[u8]) -> Vec<Req> {
    let mut c = Cursor { data, pos: 0 };
    let mut out = Vec::new();
    while out.len() < MAX_REQUESTS && (out.is_empty() || !c.at_end()) {
        out.push(request(&mut c));
    }
    out
}

fn request(c: &mut Cursor) -> Req {
    let m = c.byte();
    let method = match usize::from(m % 8) {
        7 if m >= 248 => {
            let n = usize::from(c.byte() % 8) + 1;
            c.bytes(n).to_vec()
        }
        7 => ODD_METHODS[usize::from(m / 8) % ODD_METHODS.len()]
            .as_bytes()
            .to_vec(),
        i => METHODS[i].as_bytes().to_vec(),
    };
    let mut target = path(c);
    query(c, &mut target);
    let a = c.byte();
    let auth = if a >= 240 {
        let n = usize::from(c.byte() % 64);
        c.bytes(n).to_vec()
    } else {
        AUTHS[usize::from(a) % AUTHS.len()].as_bytes().to_vec()
    };
    let f = c.byte();
    let accept_language = ["", "en", "vi", "en-US,en;q=0.9"][usize::from(f >> 2) & 3];
    let peer = match (f >> 6) & 3 {
        0 => IpAddr::V4(Ipv4Addr::LOCALHOST),
        1 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        2 => IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
        _ => IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
    };
    let g = c.byte();
    // Rare on purpose: a business day should hold a few thousand inputs, not a few dozen.
    let advance_s = match c.byte() {
        0xFC => 1,
        0xFD => 60,
        0xFE => 15 * 60,
        0xFF => 3600,
        _ => 0,
    };
    let pick = c.byte();
    let body = body(c);
    Req {
        method,
        target,
        auth,
        content_type: CONTENT_TYPES[usize::from(f & 3)],
        accept_language,
        origin: ORIGINS[usize::from(f >> 4) & 3],
        peer,
        cookie: g % 4 % 3,
        upgrade: g & 4 != 0,
        advance_s,
        pick,
        body,
    }
}

fn path(c: &mut Cursor) -> Vec<u8> {
    let r = c.byte();
    if r >= 248 {
        // Fully raw target: may not even be a URI (hyper would refuse it: skipped).
        let n = usize::from(c.byte());
        return c.bytes(n).to_vec();
    }
    if r >= 240 {
        let n = usize::from(c.byte());
        let mut out = b"/".to_vec();
        escape_into(c.bytes(n), &mut out);
        return out;
    }
    let template = ROUTES[usize::from(r) % ROUTES.len()];
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.extend_from_slice(&rest.as_bytes()[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |i| open + i);
        segment(c, &rest[open + 1..close], &mut out);
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// One path segment for the slot `kind`: its natural value or a hostile one.
fn segment(c: &mut Cursor, kind: &str, out: &mut Vec<u8>) {
    let k = c.byte() % 16;
    let natural = |c: &mut Cursor, alt: bool| -> String {
        let b = c.byte();
        match (kind, alt) {
            ("id", false) => "{TICKET}".into(),
            ("id", true) => "01KAQ4N3W9Z8X7Y6V5T4S3R2Q1".into(),
            ("n", false) => (b % 8 + 1).to_string(),
            ("n", true) => "0".into(),
            ("code", false) => "{CODE}".into(),
            ("code", true) => "ABCD23".into(),
            ("asset", false) => ASSETS[usize::from(b) % ASSETS.len()].into(),
            ("asset", true) => "../Cargo.toml".into(),
            ("sound", false) => SOUNDS[usize::from(b) % SOUNDS.len()].into(),
            ("sound", true) => "../../etc/passwd".into(),
            ("staff", false) => "nv01".into(),
            ("staff", true) => "gs01".into(),
            (_, false) => "nope".into(),
            (_, true) => "state".into(),
        }
    };
    let s: String = match k {
        0 => natural(c, false),
        1 => natural(c, true),
        2 => c.byte().to_string(),
        3 => "18446744073709551616".into(),
        4 => "4294967296".into(),
        5 => "-1".into(),
        6 => "..".into(),
        7 => "%2e%2e%2f%2e%2e%2fetc%2fpasswd".into(),
        8 => "%00".into(),
        9 => "%ff%fe".into(),
        10 => String::new(),
        11 => "a/b/..%2f".into(),
        12 => "9".repeat(300),
        13 => "%F0%9F%98%80Qu%E1%BA%A7y".into(),
        14 => "{TICKET}x".into(),
        _ => {
            let n = usize::from(c.byte() % 32);
            escape_into(c.bytes(n), out);
            return;
        }
    };
    out.extend_from_slice(s.as_bytes());
}

fn query(c: &mut Cursor, target: &mut Vec<u8>) {
    let q = c.byte();
    match q % 8 {
        4 => {
            target.push(b'?');
            target.extend_from_slice(c.pick(QUERIES).as_bytes());
        }
        5 => {
            target.push(b'?');
            target.extend_from_slice(c.pick(QUERIES).as_bytes());
            target.push(b'&');
            target.extend_from_slice(c.pick(QUERIES).as_bytes());
        }
        6 => {
            target.push(b'?');
            let n = usize::from(c.byte() % 64);
            escape_into(c.bytes(n), target);
        }
        7 => target.push(b'?'),
        _ => {}
    }
}

fn body(c: &mut Cursor) -> Vec<u8> {
    let b = c.byte();
    match b % 8 {
        2 | 3 => c.pick(BODIES).as_bytes().to_vec(),
        4 | 5 => {
            let n = usize::from(c.byte());
            c.bytes(n).to_vec()
        }
        6 => {
            let n = usize::from(c.byte()) << 8 | usize::from(c.byte());
            c.bytes(n).to_vec()
        }
        7 => {
            // Around the 16 KiB body limit: a valid body padded to exactly the limit, or
            // one byte over it.
            let template = c.pick(BODIES).as_bytes();
            let len = xephang::api::MAX_BODY + usize::from(b & 8 != 0);
            let mut out = template.to_vec();
            out.resize(len.max(template.len()), b' ');
            out
        }
        _ => Vec::new(),
    }
}

/// Appends `raw` to a URI path or query, %-escaping what a URI may not hold (controls,
/// spaces, `#`, non-ASCII) and keeping `%`, `/`, `?`, `&`, `=`, `.` as they are.
fn escape_into(raw: &[u8], out: &mut Vec<u8>) {
    for &b in raw {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%?".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
}

/// A request of the seed corpus, by name: [`encode`] turns a list of them into an input.
pub struct Seed<'a> {
    pub method: &'a str,
    /// A template of [`ROUTES`]; its slots take their natural values (`n`: `counter`).
    pub route: &'a str,
    pub counter: u8,
    /// An entry of [`QUERIES`], or "".
    pub query: &'a str,
    /// An entry of [`AUTHS`].
    pub auth: &'a str,
    /// An entry of [`BODIES`], or "" for none.
    pub body: &'a str,
    /// Accept-Language: en.
    pub english: bool,
}

fn index(table: &[&str], entry: &str) -> u8 {
    let i = table.iter().position(|e| *e == entry);
    let i = i.unwrap_or_else(|| panic!("{entry:?} is not in the table"));
    u8::try_from(i).expect("tables hold fewer than 256 entries")
}

/// The bytes that [`decode`] reads as `seeds` (JSON bodies with `Content-Type:
/// application/json`, from 127.0.0.1, clock still).
pub fn encode(seeds: &[Seed]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in seeds {
        out.push(index(METHODS, s.method));
        out.push(index(ROUTES, s.route));
        for _ in s.route.matches('{') {
            out.extend_from_slice(&[0, s.counter.wrapping_sub(1)]);
        }
        if s.query.is_empty() {
            out.push(0);
        } else {
            out.extend_from_slice(&[4, index(QUERIES, s.query)]);
        }
        out.push(index(AUTHS, s.auth));
        let content_type = if s.body.is_empty() { 0 } else { 1 };
        out.push(content_type | if s.english { 1 << 2 } else { 0 });
        out.extend_from_slice(&[0, 0, 0]);
        if s.body.is_empty() {
            out.push(0);
        } else {
            out.extend_from_slice(&[2, index(BODIES, s.body)]);
        }
    }
    out
}
