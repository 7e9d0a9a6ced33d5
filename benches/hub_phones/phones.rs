//! N phone pages on the hub as WebSocket clients: socket `i` follows ticket
//! `ids[i % ids.len()]` on `/ws?centre=…&ticket=ID`, as displays/ticket.js does at the hub,
//! reads its snapshot, then notes when each `ticket_called` event arrives and when its own
//! ticket's frame first says `called`. The socket loop is the load tool's
//! (benches/load/sockets.rs); what a phone keeps is [`PhoneLog`].

use std::collections::HashMap;

use crate::hubkit::pct;
use crate::load::boards::{called_number, key_of};
use crate::load::sockets::{Sockets, Watch};

#[derive(Debug, Default)]
pub struct PhoneLog {
    /// (key of the called number, arrival ns) of every `ticket_called` event.
    pub called: Vec<(u64, u64)>,
    /// When the phone's own ticket frame first said `called`.
    pub own_called: Option<u64>,
    pub ended: Option<String>,
}

/// Latencies in µs over (phone, click) pairs.
#[derive(Debug, Default)]
pub struct Dist {
    pub pairs: usize,
    pub missed: usize,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

fn dist(mut lat: Vec<u64>, pairs: usize) -> Dist {
    lat.sort_unstable();
    Dist {
        pairs,
        missed: pairs.saturating_sub(lat.len()),
        p50: pct(&lat, 0.5),
        p99: pct(&lat, 0.99),
        max: lat.last().copied().unwrap_or(0),
    }
}

/// Per click, the first phone to read its `ticket_called` (the lobby → uplink → hub →
/// socket path before the fan-out to the others).
pub fn first_phone(sent: &[(u64, u64)], logs: &[PhoneLog]) -> Dist {
    let mut first: HashMap<u64, u64> = HashMap::new();
    for log in logs {
        for (key, t) in &log.called {
            let e = first.entry(*key).or_insert(*t);
            *e = (*e).min(*t);
        }
    }
    let lat = sent
        .iter()
        .filter_map(|(k, t0)| first.get(k).map(|t| t.saturating_sub(*t0) / 1000))
        .collect();
    dist(lat, sent.len())
}

/// (own ticket called, every `ticket_called`) from the clicks' (key, send time).
pub fn distributions(
    sent: &[(u64, u64)],
    logs: &[PhoneLog],
    ids: &[String],
    number_of: &HashMap<&str, &str>,
) -> (Dist, Dist) {
    let at: HashMap<u64, u64> = sent.iter().copied().collect();
    let mut own = Vec::new();
    let mut own_pairs = 0;
    let mut all = Vec::with_capacity(sent.len() * logs.len());
    for (i, log) in logs.iter().enumerate() {
        let id = &ids[i % ids.len()];
        let called_at = number_of.get(id.as_str()).and_then(|n| at.get(&key_of(n)));
        if let Some(t0) = called_at {
            own_pairs += 1;
            if let Some(t) = log.own_called {
                own.push(t.saturating_sub(*t0) / 1000);
            }
        }
        for (key, t) in &log.called {
            if let Some(t0) = at.get(key) {
                all.push(t.saturating_sub(*t0) / 1000);
            }
        }
    }
    (dist(own, own_pairs), dist(all, sent.len() * logs.len()))
}

fn is_own_called(text: &str) -> bool {
    text.contains("\"type\":\"ticket\"") && text.contains("\"status\":\"called\"")
}

impl Watch for PhoneLog {
    fn text(&mut self, text: &str, at: u64) -> bool {
        if let Some(number) = called_number(text) {
            self.called.push((key_of(number), at));
            return true;
        }
        if self.own_called.is_none() && is_own_called(text) {
            self.own_called = Some(at);
        }
        false
    }

    fn ended(&mut self, why: String) {
        self.ended = Some(why);
    }
}

/// The phones, connected.
pub type Phones = Sockets<PhoneLog>;

impl Sockets<PhoneLog> {
    /// Connects `n` phones and returns once each has its snapshot.
    pub async fn connect(ws_base: &str, ids: &[String], n: usize) -> Result<Phones, String> {
        let url = |i: usize| format!("{ws_base}&ticket={}", ids[i % ids.len()]);
        Sockets::open_all(n, url, |_| PhoneLog::default(), 50, "phones").await
    }
}
