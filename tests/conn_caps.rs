//! HTTP connections are capped like WebSockets (issue 13, `[limits] http_total`,
//! `http_per_ip`): a connection past a cap is answered at once — 429 `rate_limited` past the
//! per-address cap, 503 `unavailable` past the total — and closed; a closed connection gives
//! its place back. Idle keep-alive connections count (they hold a descriptor and a task).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;

fn centre(limits: &str) -> String {
    let services = service_toml("hotich", "Hộ tịch", 1001, 1999, "");
    format!(
        "{}\n[limits]\nheader_timeout_s = 60\n{limits}\n",
        centre_toml(&services, &[(1, &["hotich"])])
    )
}

/// One request on a new connection; the whole answer (the server closes refused ones).
fn get_healthz(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).to_string()
}

/// Holds `n` idle connections (no request sent yet).
fn hold(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let held: Vec<TcpStream> = (0..n)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect();
    // Let the server accept them all.
    std::thread::sleep(Duration::from_millis(200));
    held
}

/// Retries until a request is served (a closed connection's place comes back once the
/// server has noticed), at most 5 s.
fn served_again(addr: SocketAddr) -> String {
    let start = Instant::now();
    loop {
        let answer = get_healthz(addr);
        if answer.starts_with("HTTP/1.1 200") || start.elapsed() > Duration::from_secs(5) {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn connections_past_the_per_address_cap_get_429_and_places_come_back() {
    let d = Daemon::start_with(&centre("http_per_ip = 3\nexempt_loopback = false"));
    let mut held = hold(d.addr(), 3);
    let answer = get_healthz(d.addr());
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.contains("\"rate_limited\""), "{answer}");
    drop(held.pop());
    let answer = served_again(d.addr());
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn connections_past_the_total_get_503_even_from_loopback() {
    let d = Daemon::start_with(&centre("http_total = 3"));
    let mut held = hold(d.addr(), 3);
    let answer = get_healthz(d.addr());
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"unavailable\""), "{answer}");
    drop(held.pop());
    let answer = served_again(d.addr());
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
