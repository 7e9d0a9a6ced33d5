//! Personal data leaves the disk, not only the views: against the real daemon, a booking with
//! a name and phone number and a phone rating with a call-back number are made on an early
//! day; the daemon is restarted past `personal_data_days` (shifted clock,
//! `XEPHANG_TEST_CLOCK_OFFSET_S`), purges, and compacts the old day file. Then no file under
//! the data dir holds the name or the numbers, and that day's stats and daily report are
//! what they were before. A crash between the purge event and the rewrite (the old file put
//! back, a half-written `.tmp` beside it) is healed by the next start.
//!
//! The time a compaction takes is measured by `cargo bench --bench purge`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

/// The early day of the visit.
const DAY: &str = "2031-05-05";
const NAME: &str = "Lê Thị Riêng Tư";
const PHONE: &str = "0987654321";
const CALLBACK: &str = "0911222333";
const SECRETS: [&str; 3] = [NAME, PHONE, CALLBACK];

/// One service taking appointments and walk-ins at counter 1; personal data kept 2 days.
fn centre() -> String {
    let services = service_toml("hen", "Tiếp nhận theo lịch hẹn", 1001, 1999, ALL_DAY_SLOTS);
    centre_toml(&services, &[(1, &["hen"])]).replacen(
        "timezone = \"Asia/Ho_Chi_Minh\"\n",
        "timezone = \"Asia/Ho_Chi_Minh\"\npersonal_data_days = 2\n",
        1,
    )
}

fn clock_on(day: &str, hm: &str) -> String {
    clock_at(&format!("{day}T{hm}:00+07:00"))
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The files under the data dir that still hold any of the secrets, with which.
fn holders(data_dir: &Path) -> Vec<String> {
    files_under(data_dir)
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            let found: Vec<&str> = SECRETS
                .iter()
                .copied()
                .filter(|s| contains(&bytes, s))
                .collect();
            (!found.is_empty()).then(|| format!("{}: {found:?}", p.display()))
        })
        .collect()
}

/// Waits (the compaction runs on its own thread) until no file holds a secret.
async fn wait_until_gone(d: &Daemon) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = holders(d.data_dir());
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "personal data still on disk: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the supervisor reads about `DAY`: its stats and its daily report.
async fn figures(api: &Api) -> (Value, String) {
    let stats = api
        .get(&format!("/api/v1/stats?day={DAY}"), Some(SUPERVISOR))
        .await
        .expect(200)
        .clone();
    let report = api
        .get(
            &format!("/api/v1/reports/daily.csv?day={DAY}"),
            Some(SUPERVISOR),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    (stats, report.text)
}

/// Every journal file reads back whole (checksums, seqs), and no `.tmp` is left.
fn journal_reads_back(data_dir: &Path) {
    let dir = data_dir.join("journal");
    for path in files_under(&dir) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(name.ends_with(".jsonl"), "stray file {name}");
    }
    for day in xephang::journal::days(&dir) {
        let events = xephang::journal::read_day(&dir, day).expect("day file reads");
        assert!(!events.is_empty(), "{day}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn purged_personal_data_leaves_every_file_and_the_figures_stay() {
    let mut d = Daemon::start_with_env(&centre(), &[(CLOCK, &clock_on(DAY, "08:00"))]);
    let api = d.api();
    assert_eq!(api.state(None).await["day"], DAY, "the test clock is on");
    let booked = api
        .post(
            "/api/v1/bookings",
            None,
            json!({ "service": "hen", "start": format!("{DAY}T08:30:00+07:00"),
                    "name": NAME, "phone": PHONE }),
        )
        .await;
    let code = booked.expect(201)["code"]
        .as_str()
        .expect("code")
        .to_string();

    // 08:35: check-in, a walk-in; both served; the booked citizen rates from the phone and
    // leaves a call-back number.
    d.set_env(CLOCK, &clock_on(DAY, "08:35"));
    d.restart();
    let clerk = api.clerk(1).await;
    let t = api
        .post("/api/v1/checkins", Some(KIOSK), json!({ "code": code }))
        .await
        .expect(201)
        .clone();
    api.issue("hen").await;
    for _ in 0..2 {
        api.next(1, &clerk).await.expect(200);
        api.counter_op(1, "finish", &clerk).await.expect(200);
    }
    let rating = json!({ "ticket": id_of(&t), "score": 4, "comment": "Nhanh", "phone": CALLBACK });
    api.post("/api/v1/ratings", None, rating).await.expect(201);

    // The next day, within the 2 days: the day's figures as read from its file, which still
    // holds the data (else the test would prove nothing).
    d.set_env(CLOCK, &clock_on(&add_days(DAY, 1), "09:00"));
    d.restart();
    let before = figures(&api).await;
    assert_eq!(before.0["totals"]["issued"], 2, "{}", before.0);
    assert_eq!(before.0["totals"]["served"], 2, "{}", before.0);
    let day_file = d.data_dir().join("journal").join(format!("{DAY}.jsonl"));
    let original = std::fs::read(&day_file).expect("day file");
    for s in SECRETS {
        assert!(
            contains(&original, s),
            "{s} in the day file before the purge"
        );
    }

    // Five days later: purged, and gone from every file of the data dir.
    d.set_env(CLOCK, &clock_on(&add_days(DAY, 5), "08:00"));
    d.restart();
    wait_until_gone(&d).await;
    journal_reads_back(d.data_dir());
    let after = figures(&api).await;
    assert_eq!(after.0, before.0, "stats of {DAY} after the purge");
    assert_eq!(after.1, before.1, "daily report of {DAY} after the purge");
    let list = api
        .get(&format!("/api/v1/bookings?day={DAY}"), Some(SUPERVISOR))
        .await
        .expect(200)
        .clone();
    let b = &list["bookings"][0];
    assert_eq!(b["code"].as_str(), Some(code.as_str()), "{list}");
    assert_eq!((&b["name"], &b["phone"]), (&Value::Null, &Value::Null));
    assert_eq!(
        b["ticket"]["status"], "done",
        "the visit is still there: {list}"
    );
    let compacted = std::fs::read(&day_file).expect("day file");

    // A crash between the purge event and the rewrite: the old file is back, with a
    // half-written `.tmp` beside it. The next start (same day: the purge is already in
    // today's file) heals both.
    d.kill9();
    std::fs::write(&day_file, &original).expect("put the old file back");
    let tmp = d
        .data_dir()
        .join("journal")
        .join(format!("{DAY}.jsonl.tmp"));
    std::fs::write(&tmp, &compacted[..compacted.len() / 2]).expect("half a tmp");
    d.set_env(CLOCK, &clock_on(&add_days(DAY, 5), "08:10"));
    d.restart();
    wait_until_gone(&d).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmp.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!tmp.exists(), "the leftover tmp is removed");
    journal_reads_back(d.data_dir());
    assert_eq!(std::fs::read(&day_file).expect("day file"), compacted);
    let again = figures(&api).await;
    assert_eq!(again.0, before.0);
    assert_eq!(again.1, before.1);
    // The daemon works on: a new ticket continues today's numbering.
    assert_eq!(api.issue("hen").await["number"], "1001");
}
