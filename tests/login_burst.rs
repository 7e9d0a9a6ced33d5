//! Login can no longer exhaust memory (issue 13): a PIN check is argon2id with 19 MiB; 48
//! concurrent wrong-PIN logins for one staff id used to run 48 checks at once (14 MiB → 3 GiB
//! peak). Now checks still running count against the id's lockout, so at most 5 of the burst
//! are checked (the rest get 429 at once), and at most 2 checks run at a time in the whole
//! daemon. The daemon's peak resident memory (VmHWM) is measured.

mod common;

use common::*;
use serde_json::json;

const BURST: usize = 48;
/// Peak resident memory allowed for the daemon through the burst.
const PEAK_MAX_KIB: u64 = 200 * 1024;

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_pins_for_one_id_is_mostly_refused_unchecked() {
    let d = Daemon::start_default();
    let api = d.api();
    let pid = d.pid().expect("running");
    let before = vm_hwm_kib(pid);
    let seq = api.seq().await;

    let started = std::time::Instant::now();
    let answers = futures_util::future::join_all((0..BURST).map(|_| {
        api.post(
            "/api/v1/login",
            None,
            json!({"staff": "nv01", "pin": "0000", "counter": 1}),
        )
    }))
    .await;
    let took = started.elapsed();
    let wrong_pin = answers
        .iter()
        .filter(|r| (r.status, r.code()) == (401, "unauthorized"))
        .count();
    let refused = answers
        .iter()
        .filter(|r| (r.status, r.code()) == (429, "rate_limited"))
        .count();
    let peak = vm_hwm_kib(pid);
    eprintln!(
        "{BURST} concurrent wrong PINs: {wrong_pin} checked (401), {refused} refused unchecked \
         (429) in {took:?}; VmHWM {} MiB before, {} MiB after",
        before / 1024,
        peak / 1024
    );
    assert_eq!(
        wrong_pin + refused,
        BURST,
        "only 401 and 429: {:?}",
        answers.iter().map(|r| r.text.clone()).collect::<Vec<_>>()
    );
    assert!(
        wrong_pin <= 5,
        "at most 5 (the lockout) are checked, got {wrong_pin}"
    );
    assert!(
        peak < PEAK_MAX_KIB,
        "peak resident memory {} MiB, limit {} MiB",
        peak / 1024,
        PEAK_MAX_KIB / 1024
    );
    // The id is locked out now, the right PIN included, and nothing was written.
    api.post(
        "/api/v1/login",
        None,
        json!({"staff": "nv01", "pin": PIN, "counter": 1}),
    )
    .await
    .expect_error(429, "rate_limited");
    assert_eq!(api.seq().await, seq);
}
