//! No blocking file I/O on the async workers (issue 13): pages served from `--displays DIR`
//! are read through Tokio's blocking pool. The test makes the disk "hang": `board.html` is a
//! FIFO with no writer, so reading it blocks until one opens it. With many page requests
//! hanging on it, `/healthz` must still answer at once. Before, each such request blocked an
//! async worker thread (one per core), and once all were blocked the daemon answered nothing.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// Page requests left hanging at once: more than any CI machine's cores (worker threads).
const HANGING: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hung_page_read_stalls_nobody_else() {
    let tmp = tempdir();
    let displays = tmp.path().join("displays");
    std::fs::create_dir_all(&displays).expect("mkdir");
    std::fs::write(
        displays.join("index.html"),
        "<!doctype html><title>x</title>",
    )
    .expect("write");
    let fifo = displays.join("board.html");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success(), "mkfifo");

    let log = Arc::new(Mutex::new(VecDeque::new()));
    let (mut child, addr) = spawn_daemon_with_args(
        &default_config(),
        &tmp.path().join("data"),
        "127.0.0.1:0",
        &log,
        &[],
        &[std::ffi::OsStr::new("--displays"), displays.as_os_str()],
    )
    .expect("daemon starts");
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(3))
        .build()
        .expect("client");

    // A regular file of the folder is served.
    let index = http.get(format!("{base}/")).send().await.expect("index");
    assert_eq!(index.status(), 200);

    let hanging: Vec<_> = (0..HANGING)
        .map(|_| {
            let (http, url) = (http.clone(), format!("{base}/board"));
            tokio::spawn(async move { http.get(url).send().await.map(|r| r.status()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    let health = http.get(format!("{base}/healthz")).send().await;
    let took = started.elapsed();
    eprintln!("/healthz with {HANGING} page reads hanging: {health:?} after {took:?}");
    let ok = health.as_ref().map(|r| r.status().as_u16()).ok();

    // Let the hung reads finish (a writer opens and closes the FIFO), then stop.
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: fails (instead of waiting) when no read is hanging.
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo);
    }
    for h in hanging {
        h.abort();
    }
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(ok, Some(200), "/healthz must answer while page reads hang");
    assert!(took < Duration::from_secs(2), "/healthz took {took:?}");
}
