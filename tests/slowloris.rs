//! Slowloris: a client that opens connections and never finishes sending a request's headers
//! (or trickles them a byte at a time) is disconnected after `[limits] header_timeout_s`,
//! while normal clients — HTTP and WebSocket — keep being served meanwhile and afterwards.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;

/// The header-read timeout the tests configure (seconds).
const TIMEOUT_S: u64 = 1;
/// Slow connections held open at once.
const SLOW: usize = 40;

fn centre() -> String {
    let services = service_toml("hotich", "Hộ tịch", 1001, 1999, "");
    format!(
        "{}\n[limits]\nheader_timeout_s = {TIMEOUT_S}\n",
        centre_toml(&services, &[(1, &["hotich"])])
    )
}

/// Blocks until the server closes `s` (EOF or reset); returns when, or None after `limit`.
fn wait_closed(s: &mut TcpStream, started: Instant, limit: Duration) -> Option<Duration> {
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .expect("read timeout");
    let mut buf = [0u8; 512];
    while started.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return Some(started.elapsed()),
            // A 408 or 400 written before closing is fine too; keep reading to the close.
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return Some(started.elapsed()),
        }
    }
    None
}

fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_headers_are_cut_off_while_normal_clients_are_served() {
    let d = Daemon::start_with(&centre());
    let addr = d.addr();
    let api = d.api();

    // 40 connections that send half a request line and headers, then nothing.
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..SLOW)
        .map(|i| {
            let mut s = connect(addr);
            s.write_all(
                format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{i}: ").as_bytes(),
            )
            .expect("write partial header");
            s
        })
        .collect();
    // Plus one that never sends a byte, and one that trickles a header byte every 200 ms.
    slow.push(connect(addr));
    let trickle_addr = addr;
    let trickler = std::thread::spawn(move || {
        let mut s = connect(trickle_addr);
        let t0 = Instant::now();
        let line = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for b in line.iter() {
            if s.write_all(&[*b]).is_err() {
                return Some(t0.elapsed());
            }
            std::thread::sleep(Duration::from_millis(200));
            if t0.elapsed() > Duration::from_secs(8) {
                return None;
            }
        }
        wait_closed(&mut s, t0, Duration::from_secs(8))
    });

    // Normal clients meanwhile: HTTP requests and a WebSocket, all answered at once.
    for _ in 0..5 {
        let t = Instant::now();
        let r = api.get("/healthz", None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "a normal request took {:?} behind slow connections",
            t.elapsed()
        );
    }
    let ticket = api.issue("hotich").await;
    let mut ws = ws_connect(&ws_url_with(&d.ws_url(), &[("token", DISPLAY)])).await;
    let snap = ws_next(&mut ws, Duration::from_secs(5))
        .await
        .expect("snapshot");
    assert_eq!(snap.kind(), "snapshot");

    // Every slow connection is closed after the timeout (not before, not much later).
    let mut closed_after = Vec::new();
    for s in slow.iter_mut() {
        let at = wait_closed(s, started, Duration::from_secs(TIMEOUT_S + 5))
            .expect("a slow connection was still open 5 s after the header timeout");
        closed_after.push(at);
    }
    let first = closed_after.iter().min().copied().unwrap_or_default();
    let last = closed_after.iter().max().copied().unwrap_or_default();
    assert!(
        first >= Duration::from_millis(TIMEOUT_S * 1000 * 8 / 10),
        "a slow connection was closed before the timeout: {first:?}"
    );
    let trickled = tokio::task::spawn_blocking(move || trickler.join())
        .await
        .expect("join")
        .expect("trickler thread")
        .expect("the trickling connection was never closed");
    assert!(
        trickled < Duration::from_secs(TIMEOUT_S + 3),
        "trickling a byte at a time kept a connection open for {trickled:?}"
    );
    eprintln!(
        "slowloris: {} slow connections closed after {first:?}..{last:?}; trickler after {trickled:?}",
        slow.len()
    );

    // The WebSocket opened meanwhile is still live (an upgraded connection has no header
    // timeout) and normal clients still work.
    tokio::time::sleep(Duration::from_secs(TIMEOUT_S + 1)).await;
    let id = id_of(&ticket);
    let r = api.get(&format!("/api/v1/tickets/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.issue("hotich").await;
    let frame = ws_next(&mut ws, Duration::from_secs(5))
        .await
        .expect("the WebSocket was cut by the header timeout");
    assert_eq!(frame.kind(), "event", "{}", frame.raw);
}

#[tokio::test]
async fn a_complete_request_on_a_raw_socket_is_answered() {
    let d = Daemon::start_with(&centre());
    let mut s = connect(d.addr());
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("write");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("\"seq\""), "{out}");
}
