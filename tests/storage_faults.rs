//! Storage faults: the journal cannot be written (I/O error, full disk, failed fsync, a torn
//! write that cannot even be cut back). Injected with the daemon's test hook
//! `XEPHANG_FAULT_FILE` (src/journal/fault.rs): while the named file exists, appends fail
//! as its first word says.
//!
//! Each case checks: every command is refused with 503 `unavailable` (none is acknowledged);
//! reads (`/healthz`, `/api/v1/state`, a ticket, a new WebSocket) keep working and show
//! exactly the durable state; no WebSocket event goes out for a refused command; once the
//! file is removed the next command succeeds by itself (no restart) with the next number and
//! the next seq; and a `kill -9` + restart gives the same state again.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

fn centre() -> String {
    let services = format!(
        "{}{}",
        service_toml("hotich", "Hộ tịch", 1001, 1999, ""),
        service_toml("chungthuc", "Chứng thực", 2001, 2999, "")
    );
    // Counter 1 serves both, counter 2 too: with both open no "unstaffed" alert is raised by
    // the timer while the test runs (that would be a legitimate new event).
    centre_toml(
        &services,
        &[(1, &["hotich", "chungthuc"]), (2, &["chungthuc", "hotich"])],
    )
}

struct Lobby {
    d: Daemon,
    api: Api,
    fault: PathBuf,
    _fault_dir: tempfile::TempDir,
    clerk1: String,
    clerk2: String,
    tickets: Vec<String>,
}

async fn lobby() -> Lobby {
    let fault_dir = tempdir();
    let fault = fault_dir.path().join("fault");
    let d = Daemon::start_with_env(
        &centre(),
        &[("XEPHANG_FAULT_FILE", fault.to_str().expect("utf-8 path"))],
    );
    let api = d.api();
    let clerk1 = api.clerk(1).await;
    let clerk2 = api.clerk(2).await;
    let mut tickets = Vec::new();
    for svc in ["hotich", "chungthuc", "hotich", "hotich", "chungthuc"] {
        tickets.push(id_of(&api.issue(svc).await));
    }
    api.next(1, &clerk1).await.expect(200);
    api.next(1, &clerk1).await.expect(200);
    api.next(2, &clerk2).await.expect(200);
    Lobby {
        d,
        api,
        fault,
        _fault_dir: fault_dir,
        clerk1,
        clerk2,
        tickets,
    }
}

fn set_fault(path: &Path, word: &str) {
    std::fs::write(path, word).expect("write fault file");
}

fn clear_fault(path: &Path) {
    std::fs::remove_file(path).expect("remove fault file");
}

/// Every kind of command, each refused with 503 `unavailable`; returns how many were tried.
async fn every_command_refused(l: &Lobby) -> usize {
    let api = &l.api;
    let c1 = l.clerk1.as_str();
    let mut tried: Vec<(&str, Resp)> = vec![
        (
            "issue",
            api.post("/api/v1/tickets", Some(KIOSK), json!({"service": "hotich"}))
                .await,
        ),
        ("next", api.next(1, c1).await),
        ("recall", api.counter_op(1, "recall", c1).await),
        ("no-show", api.counter_op(2, "no-show", &l.clerk2).await),
        ("transfer", api.transfer(1, c1, "hotich").await),
        ("finish", api.counter_op(1, "finish", c1).await),
        ("status", api.set_status(1, c1, "paused").await),
        (
            "rating",
            api.post(
                "/api/v1/ratings",
                Some(&rating_token(1)),
                json!({"score": 4}),
            )
            .await,
        ),
        (
            "cancel",
            api.delete(&format!("/api/v1/tickets/{}", l.tickets[4]), None)
                .await,
        ),
        (
            "dossier",
            api.put(
                "/api/v1/dossier-stats",
                Some(SUPERVISOR),
                json!({"received": 3, "on_time": 2, "overdue": 1, "as_of": "2026-11-22T08:00:00+07:00"}),
            )
            .await,
        ),
    ];
    // A burst of concurrent issues too: one group commit that fails as a whole.
    let burst: Vec<_> = (0..16)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                api.post(
                    "/api/v1/tickets",
                    Some(KIOSK),
                    json!({"service": "chungthuc"}),
                )
                .await
            })
        })
        .collect();
    for b in burst {
        tried.push(("issue (burst)", b.await.expect("burst task")));
    }
    for (what, r) in &tried {
        assert_eq!(
            (r.status, r.code()),
            (503, "unavailable"),
            "{what} during a storage fault: {}",
            r.text
        );
    }
    tried.len()
}

/// The durable state is what every read shows, and nothing moved.
async fn reads_show(l: &Lobby, before: &Value, seq: u64) {
    assert_eq!(l.api.seq().await, seq, "healthz seq moved during the fault");
    assert_eq!(&l.api.state_sans_now().await, before, "state moved");
    let public = l.api.get("/api/v1/state", None).await;
    assert_eq!(public.status, 200, "{}", public.text);
    for id in &l.tickets {
        l.api.ticket(id).await.expect(200);
    }
    let mut ws = ws_connect(&l.d.ws_url()).await;
    let first = ws_next(&mut ws, Duration::from_secs(5))
        .await
        .expect("snapshot");
    assert_eq!(first.kind(), "snapshot");
    assert_eq!(first.seq(), Some(seq));
}

async fn fault_case(word: &str) {
    let l = lobby().await;
    let watcher = Collector::open(&l.d.ws_url()).await;
    let before = l.api.state_sans_now().await;
    let seq = l.api.seq().await;
    let highest_hotich = 1003; // 1001, 1002, 1003 issued in hotich

    set_fault(&l.fault, word);
    let tried = every_command_refused(&l).await;
    reads_show(&l, &before, seq).await;
    // A second round: a failure right after a failure (the torn case must cut first).
    every_command_refused(&l).await;
    reads_show(&l, &before, seq).await;

    clear_fault(&l.fault);
    // Service resumes by itself: the next number and the next seq, nothing skipped.
    let t = l.api.issue("hotich").await;
    assert_eq!(
        number_of(&t),
        (highest_hotich + 1).to_string(),
        "{word}: {t}"
    );
    assert_eq!(l.api.seq().await, seq + 1, "{word}: seq after the fault");
    l.api.next(1, &l.clerk1).await.expect(200);
    let after = l.api.state_sans_now().await;
    let seq_after = l.api.seq().await;

    // The watching socket saw a gapless stream with only the two successful commands' events.
    watcher.wait_seq(seq_after, Duration::from_secs(5)).await;
    let frames = watcher.cut();
    let events = assert_snapshot_then_gapless(&frames);
    assert_eq!(events.last().and_then(|e| e.seq()), Some(seq_after));
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event_type() == "ticket_issued")
            .count(),
        1,
        "{word}: a refused issue was broadcast"
    );

    // And the journal agrees: kill -9 and restart give the same state.
    let mut d = l.d;
    d.restart();
    let api = d.api();
    assert_eq!(api.seq().await, seq_after, "{word}: seq after restart");
    assert_eq!(
        api.state_sans_now().await,
        after,
        "{word}: state after restart"
    );
    eprintln!("{word}: {tried} commands refused per round, resumed at seq {seq_after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn io_error_refuses_commands_and_heals() {
    fault_case("eio").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_disk_refuses_commands_and_heals() {
    fault_case("enospc").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_fsync_cuts_the_batch_back_and_heals() {
    fault_case("fsync").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn torn_write_that_cannot_be_cut_is_cut_by_the_next_append() {
    fault_case("torn").await;
}

/// A power cut while the disk is failing: what is on disk is the acknowledged state only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill9_during_a_fault_restarts_on_the_durable_state() {
    let l = lobby().await;
    let before = l.api.state_sans_now().await;
    let seq = l.api.seq().await;
    set_fault(&l.fault, "torn");
    let r = l
        .api
        .post("/api/v1/tickets", Some(KIOSK), json!({"service": "hotich"}))
        .await;
    r.expect_error(503, "unavailable");
    let mut d = l.d;
    // Restart with the fault gone: the half-written line is a torn tail, dropped on open.
    d.kill9();
    clear_fault(&l.fault);
    d.restart();
    let api = d.api();
    assert_eq!(api.seq().await, seq);
    assert_eq!(api.state_sans_now().await, before);
    assert_eq!(number_of(&api.issue("hotich").await), "1004");
}
