//! The CI smoke of the fuzz targets without libFuzzer (cargo-fuzz takes about 3 minutes to
//! install and needs `RUSTC_BOOTSTRAP=1`): every input of the committed corpus
//! (`tests/fuzz/corpus/<target>/`) goes through the very functions the targets call
//! (`tests/fuzz/src/lib.rs`, included here), each followed by a bounded set of deterministic
//! mutations (truncations, byte flips, splices). Any input a fuzz run finds crashing is added
//! to the corpus and thereby becomes a regression test. See RELIABILITY.md, "Fuzzing".
//!
//! `http_request` runs whole requests through an in-process daemon (a few milliseconds each
//! in debug), so it gets fewer mutations. Its seed inputs are written by
//! `cargo test --test fuzz_corpus -- --ignored write_http_request_seeds` from readable
//! choices (`http_input::encode`).

#[path = "fuzz/src/lib.rs"]
mod targets;

use std::path::PathBuf;

/// Mutations tried per corpus input.
const MUTATIONS: u64 = 96;
/// Mutations per corpus input of `http_request` (whole requests: slower).
const HTTP_MUTATIONS: u64 = 12;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            (name, std::fs::read(e.path()).expect("read corpus file"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus for {target}");
    files
}

/// A deterministic variant of `input` (xorshift seeded by the input's index and `k`).
fn mutate(input: &[u8], other: &[u8], seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = input.to_vec();
    for _ in 0..1 + next() % 4 {
        let len = out.len().max(1) as u64;
        match next() % 5 {
            0 => out.truncate((next() % len) as usize),
            1 if !out.is_empty() => {
                let i = (next() % len) as usize;
                out[i] ^= 1 << (next() % 8);
            }
            2 if !out.is_empty() => {
                let i = (next() % len) as usize;
                const BYTES: &[u8] = b"{}[]\":,0-9e.\\ \n\x00\xff";
                out[i] = BYTES[(next() % BYTES.len() as u64) as usize];
            }
            3 if !other.is_empty() => {
                let cut = (next() % len) as usize;
                let from = (next() % other.len() as u64) as usize;
                out.truncate(cut.min(out.len()));
                out.extend_from_slice(&other[from..]);
            }
            _ => {
                let i = (next() % (len + 1)) as usize;
                let byte = (next() & 0xff) as u8;
                out.insert(i.min(out.len()), byte);
            }
        }
    }
    out
}

fn replay(target: &str, run: fn(&[u8]), mutations: u64) {
    let files = corpus(target);
    let mut runs = 0u64;
    for (i, (name, bytes)) in files.iter().enumerate() {
        let result = std::panic::catch_unwind(|| run(bytes));
        assert!(result.is_ok(), "{target}: corpus input {name} crashes");
        let other = &files[(i + 1) % files.len()].1;
        for k in 0..mutations {
            let m = mutate(bytes, other, (i as u64) << 32 | k);
            if std::panic::catch_unwind(|| run(&m)).is_err() {
                panic!(
                    "{target}: mutation {k} of {name} crashes: {:?}",
                    String::from_utf8_lossy(&m)
                );
            }
            runs += 1;
        }
    }
    eprintln!("{target}: {} corpus inputs, {runs} mutations", files.len());
}

#[test]
fn journal_line_corpus() {
    replay("journal_line", targets::journal_line, MUTATIONS);
}

#[test]
fn config_corpus() {
    replay("config", targets::config, MUTATIONS);
}

#[test]
fn api_input_corpus() {
    replay("api_input", targets::api_input, MUTATIONS);
}

#[test]
fn http_request_corpus() {
    let started = std::time::Instant::now();
    replay("http_request", targets::http_request, HTTP_MUTATIONS);
    eprintln!("http_request: {:.1} s", started.elapsed().as_secs_f64());
}

/// The seed corpus of `http_request` is what these tables encode to: each seed file holds
/// exactly its encoding, so a change of the input format cannot leave stale seeds behind.
/// After changing the tables or the encoding, rewrite the files with
/// `XEPHANG_WRITE_SEEDS=1 cargo test --test fuzz_corpus http_request_seeds`.
#[test]
fn http_request_seeds_match_their_tables() {
    use targets::http_input::{encode, Seed};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/http_request");
    let write = std::env::var_os("XEPHANG_WRITE_SEEDS").is_some();
    let s = |method, route, auth, body| Seed {
        method,
        route,
        counter: 1,
        query: "",
        auth,
        body,
        english: false,
    };
    let q = |method, route, query, auth| Seed {
        query,
        ..s(method, route, auth, "")
    };
    let clerk = "Bearer {CLERK}";
    let kiosk = "Bearer {KIOSK}";
    let sup = "Bearer {SUPERVISOR}";
    let seeds: Vec<(&str, Vec<Seed>)> = vec![
        ("healthz", vec![s("GET", "/healthz", "", "")]),
        ("state", vec![s("GET", "/api/v1/state", "", "")]),
        (
            "issue",
            vec![s(
                "POST",
                "/api/v1/tickets",
                kiosk,
                r#"{"service":"hotich"}"#,
            )],
        ),
        (
            "issue_priority",
            vec![s(
                "POST",
                "/api/v1/tickets",
                kiosk,
                r#"{"service":"hotich","priority":"elderly"}"#,
            )],
        ),
        ("ticket", vec![s("GET", "/api/v1/tickets/{id}", "", "")]),
        ("cancel", vec![s("DELETE", "/api/v1/tickets/{id}", "", "")]),
        (
            "requeue",
            vec![s("POST", "/api/v1/tickets/{id}/requeue", sup, "")],
        ),
        ("qr", vec![s("GET", "/api/v1/tickets/{id}/qr.svg", "", "")]),
        (
            "login",
            vec![s(
                "POST",
                "/api/v1/login",
                "",
                r#"{"staff":"nv01","pin":"1234","counter":1}"#,
            )],
        ),
        ("logout", vec![s("POST", "/api/v1/logout", clerk, "")]),
        (
            "next",
            vec![s("POST", "/api/v1/counters/{n}/next", clerk, "")],
        ),
        (
            "recall",
            vec![s("POST", "/api/v1/counters/{n}/recall", clerk, "")],
        ),
        (
            "no_show",
            vec![s("POST", "/api/v1/counters/{n}/no-show", clerk, "")],
        ),
        (
            "finish",
            vec![s("POST", "/api/v1/counters/{n}/finish", clerk, "")],
        ),
        (
            "transfer",
            vec![s(
                "POST",
                "/api/v1/counters/{n}/transfer",
                clerk,
                r#"{"service":"datdai"}"#,
            )],
        ),
        (
            "status",
            vec![s(
                "POST",
                "/api/v1/counters/{n}/status",
                clerk,
                r#"{"status":"paused"}"#,
            )],
        ),
        (
            "rating_target",
            vec![s(
                "GET",
                "/api/v1/counters/{n}/rating-target",
                "Bearer {RATING}",
                "",
            )],
        ),
        (
            "rate",
            vec![s(
                "POST",
                "/api/v1/ratings",
                "Bearer {RATING}",
                r#"{"score":3}"#,
            )],
        ),
        ("stats", vec![q("GET", "/api/v1/stats", "day={DAY}", sup)]),
        (
            "daily_csv",
            vec![s("GET", "/api/v1/reports/daily.csv", sup, "")],
        ),
        (
            "daily_xlsx",
            vec![s("GET", "/api/v1/reports/daily.xlsx", sup, "")],
        ),
        (
            "callbacks_csv",
            vec![s("GET", "/api/v1/reports/callbacks.csv", sup, "")],
        ),
        (
            "slots",
            vec![q("GET", "/api/v1/slots", "service=hotich&day={DAY}", "")],
        ),
        (
            "book",
            vec![s(
                "POST",
                "/api/v1/bookings",
                "",
                r#"{"service":"hotich","start":"{SLOT}"}"#,
            )],
        ),
        ("bookings", vec![s("GET", "/api/v1/bookings", sup, "")]),
        (
            "cancel_booking",
            vec![s("DELETE", "/api/v1/bookings/{code}", "", "")],
        ),
        (
            "checkin",
            vec![s("POST", "/api/v1/checkins", kiosk, r#"{"code":"{CODE}"}"#)],
        ),
        (
            "remote",
            vec![s(
                "POST",
                "/api/v1/remote-tickets",
                "",
                r#"{"service":"gplx"}"#,
            )],
        ),
        (
            "remote_allowance",
            vec![s("GET", "/api/v1/remote-tickets", "", "")],
        ),
        (
            "dossier",
            vec![s(
                "PUT",
                "/api/v1/dossier-stats",
                sup,
                r#"{"received":10,"on_time":8,"overdue":1,"as_of":"{NOW}"}"#,
            )],
        ),
        ("me", vec![s("GET", "/api/v1/me", clerk, "")]),
        ("metrics", vec![s("GET", "/metrics", sup, "")]),
        ("openapi", vec![s("GET", "/api/v1/openapi.json", "", "")]),
        ("ws", vec![q("GET", "/ws", "since=0", "")]),
        (
            "pages",
            vec![
                s("GET", "/board", "", ""),
                s("GET", "/assets/{asset}", "", ""),
                s("GET", "/sounds/{sound}", "", ""),
            ],
        ),
        (
            "english_error",
            vec![Seed {
                english: true,
                ..s("POST", "/api/v1/tickets", kiosk, r#"{"service":"nope"}"#)
            }],
        ),
        (
            "serve_one",
            vec![
                s("POST", "/api/v1/tickets", kiosk, r#"{"service":"hotich"}"#),
                s("POST", "/api/v1/counters/{n}/next", clerk, ""),
                s("POST", "/api/v1/counters/{n}/finish", clerk, ""),
                s(
                    "POST",
                    "/api/v1/ratings",
                    "Bearer {RATING}",
                    r#"{"score":3}"#,
                ),
            ],
        ),
    ];
    for (name, list) in &seeds {
        let path = dir.join(name);
        if write {
            std::fs::create_dir_all(&dir).expect("corpus dir");
            std::fs::write(&path, encode(list)).expect("write a seed");
        } else {
            let committed = std::fs::read(&path).unwrap_or_default();
            assert_eq!(
                committed,
                encode(list),
                "{} is not the encoding of its table (XEPHANG_WRITE_SEEDS=1 rewrites it)",
                path.display()
            );
        }
    }
    let files = std::fs::read_dir(&dir).map_or(0, |d| d.count());
    assert_eq!(
        files,
        seeds.len(),
        "seed files without a table in {}",
        dir.display()
    );
}
