//! Measures the journal's personal-data compaction (`journal::compact`) on a provincial
//! centre's history: `cargo bench --bench purge` (`PURGE_BENCH_FILES`, default 90 day files,
//! and `PURGE_BENCH_MB`, default 2 MB each). Prints the time of the first run (every file
//! holds personal data), of the daily scan with nothing left, and of a usual day (one more
//! file crosses the horizon). Figures go to BENCHMARKS.md.

use serde_json::{json, Value};

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A busy day's journal (about `mb` MB): tickets issued, called, finished, a third of them
/// rated (a third of those with a call-back number), bookings with names and phones. The
/// lines are shaped like the daemon's own (tests/fuzz/corpus/journal_line) and go through
/// the real decoder and encoder.
fn busy_day(mb: f64) -> Vec<u8> {
    let at = |s: u32| {
        format!(
            "2031-01-01T{:02}:{:02}:{:02}.123+07:00",
            7 + s / 3600,
            s / 60 % 60,
            s % 60
        )
    };
    let audio: Vec<String> = ["chime", "gap/300", "vi/moi_cong_dan_co_so_thu_tu", "vi/mot"]
        .iter()
        .chain(&[
            "vi/nghin",
            "vi/khong",
            "vi/tram",
            "vi/linh",
            "vi/hai",
            "vi/den_quay",
        ])
        .chain(&[
            "vi/so",
            "vi/ba",
            "gap/300",
            "en/number",
            "en/one",
            "en/zero",
            "en/counter",
        ])
        .map(|c| format!("/sounds/{c}.wav"))
        .collect();
    let mut lines: Vec<Value> = Vec::new();
    let target = (mb * 1024.0 * 1024.0) as usize;
    let mut size = 0;
    let mut n: u32 = 0;
    while size < target {
        n += 1;
        let t = n * 20 % 36_000;
        let id = ulid::Ulid::from_parts(1_900_000_000_000 + u64::from(n), u128::from(n));
        let mut ticket = json!({"id": id.to_string(), "number": format!("{}", 1000 + n),
            "service": "hotich", "origin": "hotich", "priority": null, "status": "waiting",
            "issued_at": at(t), "called_at": null, "first_called_at": null, "finished_at": null,
            "counter": null, "clerk": null, "recalls": 0, "order": n,
            "waiting_ahead": 3, "eta_s": 480});
        lines.push(json!({"type": "ticket_issued", "ticket": ticket.clone()}));
        ticket["status"] = json!("called");
        ticket["called_at"] = json!(at(t + 300));
        ticket["first_called_at"] = json!(at(t + 300));
        ticket["counter"] = json!(n % 30 + 1);
        ticket["clerk"] = json!(format!("nv{:02}", n % 30 + 1));
        ticket["waiting_ahead"] = Value::Null;
        ticket["eta_s"] = Value::Null;
        lines.push(json!({"type": "ticket_called", "ticket": ticket.clone(),
            "counter": n % 30 + 1, "audio": audio}));
        ticket["status"] = json!("done");
        ticket["finished_at"] = json!(at(t + 600));
        lines.push(json!({"type": "ticket_finished", "ticket": ticket, "counter": n % 30 + 1}));
        if n.is_multiple_of(3) {
            let mut r = json!({"type": "rating", "ticket": id.to_string(),
                "number": format!("{}", 1000 + n), "service": "hotich", "counter": n % 30 + 1,
                "clerk": format!("nv{:02}", n % 30 + 1), "score": 4, "comment": "tốt",
                "source": "phone"});
            if n.is_multiple_of(9) {
                r["phone"] = json!(format!("09{:08}", n));
            }
            lines.push(r);
        }
        if n.is_multiple_of(25) {
            lines.push(json!({"type": "booking_created", "booking": {
                "code": format!("K{:05}", n), "service": "hotich", "start": at(t),
                "name": format!("Nguyễn Thị Hẹn {n}"), "phone": format!("09{:08}", n + 1),
                "checked_in": null}}));
        }
        size = lines.len() * 560;
    }
    let mut out = Vec::with_capacity(target + target / 4);
    for (i, event) in lines.into_iter().enumerate() {
        let env = json!({"seq": i + 1, "at": at(0), "event": event});
        let env: xephang::domain::Envelope =
            serde_json::from_value(env).expect("the template is an event");
        xephang::journal::encode_line(&env, &mut out).expect("an event encodes");
    }
    out
}

fn main() {
    use std::sync::atomic::AtomicBool;
    let files: usize = std::env::var("PURGE_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(90);
    let mb: f64 = std::env::var("PURGE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let tmp = tempdir();
    let dir = tmp.path().join("journal");
    std::fs::create_dir_all(&dir).expect("dir");
    let day0 = chrono::NaiveDate::from_ymd_opt(2031, 1, 1).expect("date");
    let content = busy_day(mb);
    for i in 0..files {
        let day = day0 + chrono::Duration::days(i as i64);
        std::fs::write(xephang::journal::day_path(&dir, day), &content).expect("write");
    }
    let open_day = day0 + chrono::Duration::days(files as i64);
    let events = xephang::journal::read_day(&dir, day0).expect("read").len();
    println!(
        "{files} day files of {:.2} MB ({events} events each), {:.0} MB in all",
        content.len() as f64 / 1048576.0,
        (content.len() * files) as f64 / 1048576.0
    );
    let stop = AtomicBool::new(false);
    let run = |label: &str| {
        let r = xephang::journal::compact::compact(&dir, Some(open_day), open_day, &stop);
        println!(
            "{label}: {} checked, {} rewritten, {} events blanked, {} failed in {:.3} s",
            r.checked,
            r.rewritten.len(),
            r.events_blanked,
            r.failed,
            r.elapsed.as_secs_f64()
        );
        r
    };
    let first = run("first run (every file holds personal data)");
    assert_eq!(first.rewritten.len(), files);
    let second = run("second run (nothing left: the daily scan)");
    assert!(second.rewritten.is_empty());
    // The usual day: one more file has crossed the horizon.
    std::fs::write(xephang::journal::day_path(&dir, day0), &content).expect("write");
    let usual = run("a usual day (one new file crosses the horizon)");
    assert_eq!(usual.rewritten.len(), 1);
}
