//! One data folder, one daemon (issue 19): a second `xephang run` on a running daemon's data
//! folder exits at once, non-zero, naming the folder and the PID, and writes nothing; the first
//! keeps serving; after `kill -9` of the first a new start succeeds at once (no stale lock).
//! Read-only commands (`report`, `check-config`, `journal check`) work meanwhile and write
//! nothing into the data folder.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

/// Runs the binary to its end (at most 60 s): exit code, stdout, stderr.
fn xephang(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run xephang");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test]
async fn a_second_daemon_on_the_same_data_dir_exits_at_once_and_writes_nothing() {
    let mut d = Daemon::start_default();
    let api = d.api();
    let _clerk = api.clerk(1).await; // counter 1 open: no "unstaffed" alert on the timer
    let t1 = api.issue("hotich").await;
    let pid = d.pid().expect("running");
    let data_dir = d.data_dir().to_path_buf();
    let before = snapshot(&data_dir);
    assert!(
        before.keys().any(|p| p.ends_with("xephang.lock")),
        "the lock file: {:?}",
        before.keys()
    );

    // Another port, the same data folder.
    let started = Instant::now();
    let mut second = Command::new(bin())
        .arg("run")
        // The demo centre's public secrets are allowed on purpose (as the first daemon's).
        .arg("--demo")
        .arg("--config")
        .arg(d.config_path())
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["--bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the second daemon");
    let status = loop {
        if let Some(status) = second.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = second.kill();
            let _ = second.wait();
            panic!("the second daemon was still running after 10 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let out = second.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("second daemon exited {status:?} after {elapsed:?}:\n{stderr}");
    assert!(!status.success(), "the second daemon must fail: {status:?}");
    assert!(
        elapsed < Duration::from_secs(1),
        "the second daemon must exit within a second, took {elapsed:?}"
    );
    assert!(
        !stdout.contains("xephang listening on"),
        "the second daemon must not listen: {stdout}"
    );
    for needle in [
        data_dir.display().to_string(),
        format!("PID {pid}"),
        "Thư mục dữ liệu".to_string(),
        "The data folder".to_string(),
    ] {
        assert!(
            stderr.contains(&needle),
            "message lacks {needle:?}: {stderr}"
        );
    }
    assert_eq!(
        snapshot(&data_dir),
        before,
        "the refused daemon must write nothing in the data folder"
    );

    // The first keeps serving, with the next number.
    assert!(d.is_running(), "the first daemon must keep running");
    let t2 = api.issue("hotich").await;
    assert_eq!(
        numeric(&number_of(&t2)),
        numeric(&number_of(&t1)) + 1,
        "{t2}"
    );

    // kill -9: the kernel releases the lock; one start attempt, no retry, succeeds.
    d.try_restart()
        .unwrap_or_else(|e| panic!("a start right after kill -9 must succeed: {e}"));
    let api = d.api();
    for t in [&t1, &t2] {
        api.ticket(&id_of(t)).await.expect(200);
    }
    let t3 = api.issue("hotich").await;
    assert_eq!(numeric(&number_of(&t3)), numeric(&number_of(&t2)) + 1);
}

#[tokio::test]
async fn read_only_commands_work_while_the_daemon_runs() {
    let d = Daemon::start_default();
    let api = d.api();
    let _clerk = api.clerk(1).await;
    for _ in 0..3 {
        api.issue("hotich").await;
    }
    let day = api.state_sans_now().await["day"]
        .as_str()
        .expect("day")
        .to_string();
    let data_dir = d.data_dir().to_path_buf();
    let dd = data_dir.to_str().expect("utf-8 path");
    let before = snapshot(&data_dir);

    let out_dir = tempdir();
    let csv = out_dir.path().join("report.csv");
    let (code, stdout, stderr) = xephang(&[
        "report",
        "--data-dir",
        dd,
        "--day",
        &day,
        "--out",
        csv.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, Some(0), "report: {stdout}{stderr}");
    let text = std::fs::read_to_string(&csv).expect("report written");
    assert!(text.contains(&day), "the report is of {day}: {text}");

    let config = default_config();
    let (code, stdout, stderr) = xephang(&["check-config", config.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "check-config: {stdout}{stderr}");

    let (code, stdout, stderr) = xephang(&["journal", "check", "--data-dir", dd]);
    assert_eq!(code, Some(0), "journal check: {stdout}{stderr}");
    assert!(stdout.contains("intact"), "{stdout}");

    assert_eq!(
        snapshot(&data_dir),
        before,
        "read-only commands must write nothing in the data folder"
    );
    // And the daemon never noticed.
    api.issue("hotich").await;
}
