//! "A dead writer looks healthy" (issue 13): `/healthz` must follow the single writer. The
//! writer beats even when idle; when it dies (test-only fault hook
//! `XEPHANG_FAULT_WRITER_FILE`: `panic` or `hang`) `/healthz` answers 503 and systemd's
//! watchdog is no longer fed. systemd is played by a Unix datagram socket of the test
//! (`NOTIFY_SOCKET`, `WATCHDOG_USEC`), so `READY=1` and the `WATCHDOG=1` beats are seen.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

const WATCHDOG_USEC: &str = "400000";

struct Systemd {
    sock: UnixDatagram,
}

impl Systemd {
    fn bind(path: &Path) -> Systemd {
        let sock = UnixDatagram::bind(path).expect("bind the notify socket");
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        Systemd { sock }
    }

    /// Every datagram received within `window`.
    fn drain(&self, window: Duration) -> Vec<String> {
        let end = Instant::now() + window;
        let mut out = Vec::new();
        let mut buf = [0u8; 512];
        while Instant::now() < end {
            if let Ok(n) = self.sock.recv(&mut buf) {
                out.push(String::from_utf8_lossy(&buf[..n]).trim().to_string());
            }
        }
        out
    }
}

fn start(dir: &Path) -> (Daemon, Systemd) {
    let sock = dir.join("notify.sock");
    let systemd = Systemd::bind(&sock);
    let fault = dir.join("writer-fault");
    let toml = std::fs::read_to_string(default_config()).expect("demo config");
    let d = Daemon::start_with_env(
        &toml,
        &[
            ("NOTIFY_SOCKET", sock.to_str().expect("utf-8 path")),
            ("WATCHDOG_USEC", WATCHDOG_USEC),
            (
                "XEPHANG_FAULT_WRITER_FILE",
                fault.to_str().expect("utf-8 path"),
            ),
        ],
    );
    (d, systemd)
}

/// Polls `/healthz` until it answers `status` (at most `within`).
async fn health_turns(api: &Api, status: u16, within: Duration) -> Resp {
    let end = Instant::now() + within;
    loop {
        let r = api.get("/healthz", None).await;
        if r.status == status || Instant::now() > end {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_writer_that_panics_turns_healthz_503_and_starves_the_watchdog() {
    let dir = tempdir();
    let (d, systemd) = start(dir.path());
    let api = d.api();

    // Up: READY=1, then WATCHDOG=1 about every 200 ms.
    let first = systemd.drain(Duration::from_millis(1500));
    assert!(
        first.iter().any(|m| m == "READY=1"),
        "no READY=1: {first:?}"
    );
    let beats = first.iter().filter(|m| *m == "WATCHDOG=1").count();
    assert!(beats >= 3, "the watchdog is fed while healthy: {first:?}");

    // Idle for 1.5 s: the writer still beats (its last beat is under a second old).
    let ok = api.get("/healthz", None).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["status"], "ok");
    let age = ok.body["writer_beat_ms"].as_u64().expect("writer_beat_ms");
    assert!(
        age < 1000,
        "an idle writer beats at least every second: {age} ms"
    );

    // The writer panics at its next turn (within half a second, idle).
    std::fs::write(dir.path().join("writer-fault"), "panic").expect("fault file");
    let r = health_turns(&api, 503, Duration::from_secs(5)).await;
    r.expect_error(503, "unavailable");
    assert!(r.message().contains("thread ended"), "{}", r.text);
    // Writes fail too (the reason /healthz must say so).
    let issue = api
        .post(
            "/api/v1/tickets",
            Some(KIOSK),
            serde_json::json!({"service": "hotich"}),
        )
        .await;
    issue.expect_error(503, "unavailable");

    // The watchdog is starved: no WATCHDOG=1 any more (systemd would restart the daemon).
    let _ = systemd.drain(Duration::from_millis(300));
    let after = systemd.drain(Duration::from_millis(1200));
    assert!(
        !after.iter().any(|m| m == "WATCHDOG=1"),
        "the watchdog is still fed by a daemon whose writer is dead: {after:?}"
    );
    assert!(d.log_tail().contains("TEST HOOK: the writer panics"));
}

#[tokio::test]
async fn a_writer_that_hangs_turns_healthz_503_once_its_beat_is_stale() {
    let dir = tempdir();
    let (d, _systemd) = start(dir.path());
    let api = d.api();
    let ok = api.get("/healthz", None).await;
    assert_eq!(ok.status, 200, "{}", ok.text);

    std::fs::write(dir.path().join("writer-fault"), "hang").expect("fault file");
    // Stale after 10 s of silence.
    let r = health_turns(&api, 503, Duration::from_secs(20)).await;
    r.expect_error(503, "unavailable");
    assert!(r.message().contains("silent for"), "{}", r.text);
    let english = api
        .request(
            reqwest::Method::GET,
            "/healthz",
            None,
            Body::None,
            &[("accept-language", "en")],
        )
        .await;
    assert!(
        english.message().starts_with("The writer has stopped"),
        "{}",
        english.text
    );
}
