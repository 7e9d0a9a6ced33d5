//! What start-up refuses instead of papering over (issue 13): a session secret that cannot
//! be read or is too short stops the daemon with the path, and is left as it was — before,
//! it was silently replaced, which logged every clerk out and reset every phone's cookie.
//! A new secret is private (0600).

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use common::*;

fn start(
    data_dir: &std::path::Path,
) -> Result<(std::process::Child, std::net::SocketAddr), String> {
    let log = Arc::new(Mutex::new(VecDeque::new()));
    spawn_daemon(&default_config(), data_dir, "127.0.0.1:0", &log, &[])
}

#[test]
fn a_short_secret_stops_start_up_and_is_kept() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let key = data.join("secret.key");
    std::fs::write(&key, b"too short").expect("write");
    let err = start(&data).expect_err("a short secret must stop start-up");
    assert!(
        err.contains("secret.key"),
        "the message names the file: {err}"
    );
    assert!(
        err.contains("9 bytes"),
        "the message says what is wrong: {err}"
    );
    assert_eq!(
        std::fs::read(&key).expect("read"),
        b"too short",
        "not replaced"
    );
}

#[test]
fn an_unreadable_secret_stops_start_up() {
    let tmp = tempdir();
    let data = tmp.path().join("data");
    // A folder where the file should be: unreadable as a file, even for root.
    std::fs::create_dir_all(data.join("secret.key")).expect("mkdir");
    let err = start(&data).expect_err("an unreadable secret must stop start-up");
    assert!(err.contains("secret.key"), "{err}");
    assert!(data.join("secret.key").is_dir(), "left as it was");
}

#[test]
fn a_new_secret_is_private_and_kept_across_restarts() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir();
    let data = tmp.path().join("data");
    let (mut child, _) = start(&data).expect("first start");
    let key = data.join("secret.key");
    let first = std::fs::read(&key).expect("secret written");
    assert_eq!(first.len(), 32);
    let mode = std::fs::metadata(&key).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    child.kill().expect("kill");
    child.wait().expect("wait");
    let (mut child, _) = start(&data).expect("second start");
    assert_eq!(std::fs::read(&key).expect("read"), first, "the same secret");
    child.kill().expect("kill");
    child.wait().expect("wait");
}
