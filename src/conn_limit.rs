//! Caps on open HTTP connections (`[limits] http_total`, `http_per_ip`), enforced in the accept
//! loop (server.rs) before a connection gets a task, like the WebSocket caps are at upgrade
//! (api/limits.rs). Without them, idle keep-alive connections (each a file descriptor and a
//! task, held up to `header_timeout_s`) were limited only by the process's descriptors.
//!
//! A connection past a cap is answered at once with a canned 503 `unavailable` (total) or 429
//! `rate_limited` (per address) and closed, without reading its request: its answer is
//! written by a short task that then drains what the client sent (so the close is a FIN,
//! not a reset that would lose the answer) for at most [`REFUSAL_LINGER`]. At most
//! [`REFUSALS_IN_FLIGHT`] such tasks run; past that a refused connection is just closed.
//! Loopback clients skip the per-address cap while `exempt_loopback` is true; the total holds
//! for everyone. WebSocket connections count too (they are HTTP connections upgraded).

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::Limits;

/// How long a refused connection is kept to deliver its answer.
pub const REFUSAL_LINGER: Duration = Duration::from_secs(2);
/// Refused connections being answered at once, at most.
pub const REFUSALS_IN_FLIGHT: usize = 256;

/// The open connections, in all and per address.
pub struct ConnLimiter {
    total: AtomicUsize,
    per_ip: DashMap<IpAddr, usize>,
    max_total: usize,
    max_per_ip: usize,
    exempt_loopback: bool,
    refusing: AtomicUsize,
}

/// One open connection's place; given back when dropped.
pub struct ConnSlot {
    limiter: Arc<ConnLimiter>,
    ip: Option<IpAddr>,
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        self.limiter.total.fetch_sub(1, Ordering::SeqCst);
        if let Some(ip) = self.ip {
            if let Some(mut n) = self.limiter.per_ip.get_mut(&ip) {
                *n = n.saturating_sub(1);
            }
            self.limiter.per_ip.remove_if(&ip, |_, n| *n == 0);
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `http_total` reached: 503 `unavailable`.
    Total,
    /// `http_per_ip` reached for the address: 429 `rate_limited`.
    PerIp,
}

impl Refusal {
    /// The whole HTTP answer (Vietnamese message: the request's language is not read).
    fn response(self) -> Vec<u8> {
        let (status, code, vi, en) = match self {
            Refusal::Total => (
                "503 Service Unavailable",
                "unavailable",
                "Máy chủ đang có quá nhiều kết nối; hãy thử lại sau giây lát.",
                "Too many connections; try again shortly.",
            ),
            Refusal::PerIp => (
                "429 Too Many Requests",
                "rate_limited",
                "Quá nhiều kết nối từ địa chỉ này; hãy thử lại sau giây lát.",
                "Too many connections from this address; try again shortly.",
            ),
        };
        let body = serde_json::json!({"error": {"code": code, "message": format!("{vi} / {en}")}})
            .to_string();
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n\
             Content-Length: {}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }
}

impl ConnLimiter {
    pub fn new(limits: &Limits) -> Arc<ConnLimiter> {
        Arc::new(ConnLimiter {
            total: AtomicUsize::new(0),
            per_ip: DashMap::new(),
            max_total: limits.http_total as usize,
            max_per_ip: limits.http_per_ip as usize,
            exempt_loopback: limits.exempt_loopback,
            refusing: AtomicUsize::new(0),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    /// A place for a new connection from `ip`, or why there is none.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnSlot, Refusal> {
        let before = self.total.fetch_add(1, Ordering::SeqCst);
        let mut slot = ConnSlot {
            limiter: self.clone(),
            ip: None,
        };
        if before >= self.max_total {
            return Err(Refusal::Total); // `slot` gives the place back
        }
        if self.exempt_loopback && ip.is_loopback() {
            return Ok(slot);
        }
        let mut n = self.per_ip.entry(ip).or_insert(0);
        *n += 1;
        slot.ip = Some(ip);
        if *n > self.max_per_ip {
            drop(n);
            return Err(Refusal::PerIp);
        }
        drop(n);
        Ok(slot)
    }

    /// Answers a refused connection (see the module doc) and closes it.
    pub fn refuse(self: &Arc<Self>, mut stream: TcpStream, why: Refusal) {
        if self.refusing.fetch_add(1, Ordering::SeqCst) >= REFUSALS_IN_FLIGHT {
            self.refusing.fetch_sub(1, Ordering::SeqCst);
            return; // dropped: closed at once
        }
        let limiter = self.clone();
        tokio::spawn(async move {
            let answer = async {
                stream.write_all(&why.response()).await?;
                stream.shutdown().await?;
                let mut sink = [0u8; 4096];
                while stream.read(&mut sink).await? > 0 {}
                Ok::<(), std::io::Error>(())
            };
            let _ = tokio::time::timeout(REFUSAL_LINGER, answer).await;
            limiter.refusing.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: u32, per_ip: u32, exempt_loopback: bool) -> Limits {
        Limits {
            http_total: total,
            http_per_ip: per_ip,
            exempt_loopback,
            ..Limits::default()
        }
    }

    #[test]
    fn caps_in_all_and_per_address_and_places_come_back() {
        let l = ConnLimiter::new(&limits(3, 2, true));
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = l.admit(a).expect("a1");
        let a2 = l.admit(a).expect("a2");
        assert_eq!(l.admit(a).err(), Some(Refusal::PerIp));
        assert_eq!(l.open(), 2, "a refusal takes no place");
        let b1 = l.admit(b).expect("b1");
        assert_eq!(l.admit(b).err(), Some(Refusal::Total));
        drop(a1);
        let a3 = l.admit(a).expect("a place came back");
        drop((a2, a3, b1));
        assert_eq!(l.open(), 0);
        assert!(l.per_ip.is_empty(), "no entry left behind");
    }

    #[test]
    fn loopback_skips_the_per_address_cap_unless_told_not_to() {
        let lo: IpAddr = [127, 0, 0, 1].into();
        let l = ConnLimiter::new(&limits(10, 1, true));
        let _held: Vec<_> = (0..5).map(|_| l.admit(lo).expect("exempt")).collect();
        let l = ConnLimiter::new(&limits(10, 1, false));
        let _one = l.admit(lo).expect("first");
        assert_eq!(l.admit(lo).err(), Some(Refusal::PerIp));
    }

    #[test]
    fn the_refusal_is_a_whole_http_answer_with_the_json_error() {
        let text = String::from_utf8(Refusal::PerIp.response()).expect("utf-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 429 "), "{head}");
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["error"]["code"], "rate_limited");
        assert!(String::from_utf8(Refusal::Total.response())
            .expect("utf-8")
            .starts_with("HTTP/1.1 503 "));
    }
}
