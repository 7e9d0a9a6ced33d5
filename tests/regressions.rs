//! Regression tests for what the reliability tests found (see RELIABILITY.md).

mod common;

use common::*;

/// Found by tests/storage_faults.rs: a waiting ticket's estimate went stale when a counter
/// serving its service became busy with a ticket of another service (only the called
/// ticket's service was refreshed). The estimate after an event must equal the one the
/// daemon computes from scratch after a restart.
#[tokio::test]
async fn waiting_estimate_follows_a_shared_counter() {
    let services = format!(
        "{}{}",
        service_toml("hotich", "Hộ tịch", 1001, 1999, ""),
        service_toml("chungthuc", "Chứng thực", 2001, 2999, "")
    );
    let mut d = Daemon::start_with(&centre_toml(&services, &[(1, &["hotich", "chungthuc"])]));
    let api = d.api();
    let clerk = api.clerk(1).await;
    api.issue("hotich").await;
    let waiting = id_of(&api.issue("chungthuc").await);
    // Counter 1 was idle: the chungthuc ticket is next. Now it calls the hotich ticket.
    api.next(1, &clerk).await.expect(200);
    let live = api.ticket(&waiting).await.body["eta_s"].clone();
    assert!(
        live.as_u64().is_some_and(|s| s > 0),
        "counter busy, eta {live}"
    );
    d.restart();
    let fresh = d.api().ticket(&waiting).await.body["eta_s"].clone();
    assert_eq!(live, fresh, "live estimate vs recomputed");
}
