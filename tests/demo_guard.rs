//! A config that still holds the demo's public PINs and tokens must not go live (issue 18):
//! `xephang run --config FILE` refuses it with exit status 78 (EX_CONFIG, which the packaged
//! unit does not restart), naming every staff id and device concerned; `--demo` runs it on
//! purpose; without `--config` the embedded demo runs as always.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

fn run(args: &[&str], data: &std::path::Path) -> std::process::Child {
    Command::new(bin())
        .arg("run")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(["--bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Waits for the start-up line; kills the daemon.
fn starts(mut child: std::process::Child) -> bool {
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(out).read_line(&mut first);
        let _ = tx.send(first);
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    line.starts_with("xephang listening on http://")
}

#[test]
fn the_demo_config_file_is_refused_naming_its_secrets_unless_demo() {
    let dir = tempdir();
    let cfg = default_config();
    let cfg = cfg.to_str().expect("utf-8");
    let out = run(&["--config", cfg], &dir.path().join("a"))
        .wait_with_output()
        .expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "it never listened"
    );
    for needle in [
        "still holds the demo centre's public secrets",
        "staff nv01: pin_hash is the demo's (PIN 1234)",
        "staff gs01: pin_hash is the demo's (PIN 9999)",
        "device \"TV sảnh chính\": token demo-display-token-0001",
        "device \"Máy đánh giá Quầy 8\": token demo-rating-token-0008",
        "--demo",
    ] {
        assert!(err.contains(needle), "{needle:?} missing from:\n{err}");
    }
    assert!(
        !dir.path().join("a").join("journal").exists(),
        "nothing was written before the refusal"
    );
    // On purpose: runs.
    assert!(starts(run(
        &["--demo", "--config", cfg],
        &dir.path().join("b")
    )));
    // The embedded demo (no --config) needs no flag: ./run.sh.
    assert!(starts(run(&[], &dir.path().join("c"))));
}
