//! The command line: `check-config` names file, line and field of what is wrong and exits
//! non-zero (0 for a good file); `run` refuses a broken file the same way; `hash-pin` prints
//! an argon2id PHC string that the daemon accepts; `run` prints its address first.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

/// Runs the binary with a deadline, returning its output.
fn run_bin(args: &[&str], stdin: Option<&str>, timeout: Duration) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn xephang");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
        drop(pipe);
    }
    // Drain both pipes in threads so a chatty child never blocks.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("xephang {args:?} did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A small valid centre; the broken variants are made from it by text replacement.
fn base_config() -> String {
    let services = format!(
        "{}{}",
        service_toml("hotich", "Hộ tịch", 1001, 1999, ""),
        service_toml("chungthuc", "Chứng thực", 2001, 2999, "")
    );
    centre_toml(
        &services,
        &[(1, &["hotich", "chungthuc"]), (2, &["chungthuc"])],
    )
}

/// 1-based line of the `nth` (0-based) occurrence of `needle`.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` #{nth} not in the config"))
}

/// Lines `[header, end]` of the table that contains line `line` (header = the nearest `[`
/// line above it, end = the line before the next header).
fn table_around(text: &str, line: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let mut start = line;
    while start > 1 && !lines[start - 1].trim_start().starts_with('[') {
        start -= 1;
    }
    let mut end = line;
    while end < lines.len() && !lines[end].trim_start().starts_with('[') {
        end += 1;
    }
    (start, end)
}

/// Finds `path:N: …` in `out` with N in `lines` and one of `fields` after it.
#[track_caller]
fn assert_points_at(out: &str, path: &Path, lines: (usize, usize), fields: &[&str]) {
    let prefix = format!("{}:", path.display());
    let mut seen = Vec::new();
    for l in out.lines() {
        let Some(pos) = l.find(&prefix) else { continue };
        let rest = &l[pos + prefix.len()..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let Ok(n) = digits.parse::<usize>() else {
            continue;
        };
        let after = &rest[digits.len()..];
        if !after.starts_with(':') {
            continue;
        }
        seen.push(n);
        if n >= lines.0 && n <= lines.1 && fields.iter().any(|f| after.contains(f)) {
            return;
        }
    }
    panic!(
        "expected `{}:<line in {}..={}>: <{}>: …`; lines mentioned: {seen:?}; output:\n{out}",
        path.display(),
        lines.0,
        lines.1,
        fields.join("|")
    );
}

#[test]
fn good_files_pass_check_config() {
    let o = run_bin(
        &["check-config", default_config().to_str().unwrap()],
        None,
        Duration::from_secs(30),
    );
    assert!(
        o.status.success(),
        "config/default.toml must be valid: {}",
        all_output(&o)
    );

    let dir = tempdir();
    let path = dir.path().join("good.toml");
    std::fs::write(&path, base_config()).unwrap();
    let o = run_bin(
        &["check-config", path.to_str().unwrap()],
        None,
        Duration::from_secs(30),
    );
    assert!(
        o.status.success(),
        "the tests' base centre must be valid: {}",
        all_output(&o)
    );
}

struct Broken {
    what: &'static str,
    from: &'static str,
    to: &'static str,
    /// Which occurrence of `from` is replaced (0 = first).
    nth: usize,
    /// Which line of `to` is the wrong one (0 = its first).
    to_line: usize,
    /// The changed line is reported exactly (`true`) or anywhere in its table (`false`).
    exact_line: bool,
    fields: &'static [&'static str],
}

#[test]
fn broken_files_name_file_line_and_field() {
    let base = base_config();
    let cases = [
        Broken {
            what: "unknown key",
            from: "target_wait_min = 15",
            to: "target_wait_min = 15\ncolour = \"đỏ\"",
            to_line: 1,
            nth: 1,
            exact_line: true,
            fields: &["colour"],
        },
        Broken {
            what: "wrong type",
            from: "first = 2001",
            to: "first = \"hai nghìn\"",
            to_line: 0,
            nth: 0,
            exact_line: true,
            fields: &["first"],
        },
        Broken {
            what: "duplicate service id",
            from: "id = \"chungthuc\"",
            to: "id = \"hotich\"",
            to_line: 0,
            nth: 0,
            exact_line: false,
            fields: &["id"],
        },
        Broken {
            what: "overlapping number ranges",
            from: "first = 2001",
            to: "first = 1500",
            to_line: 0,
            nth: 0,
            exact_line: false,
            fields: &["first", "last"],
        },
        Broken {
            what: "counter naming an unknown service",
            from: "services = [\"chungthuc\"]",
            to: "services = [\"chungthuc\", \"khongco\"]",
            to_line: 0,
            nth: 0,
            exact_line: false,
            fields: &["services"],
        },
        Broken {
            what: "token shorter than 16 characters",
            from: KIOSK,
            to: "ngan-qua",
            to_line: 0,
            nth: 0,
            exact_line: false,
            fields: &["token"],
        },
        Broken {
            what: "bad PIN hash",
            from: "pin_hash = ",
            to: "pin_hash = \"1234\"\n# ",
            to_line: 0,
            nth: 0,
            exact_line: false,
            fields: &["pin_hash"],
        },
    ];
    let dir = tempdir();
    for (i, case) in cases.iter().enumerate() {
        // Replace the nth occurrence only.
        let at = base
            .match_indices(case.from)
            .nth(case.nth)
            .unwrap_or_else(|| panic!("{}: `{}` not in base", case.what, case.from))
            .0;
        let text = format!(
            "{}{}{}",
            &base[..at],
            case.to,
            &base[at + case.from.len()..]
        );
        // The line where the replacement starts, plus the line of `to` that is wrong.
        let changed = text[..at].matches('\n').count() + 1 + case.to_line;
        let lines = if case.exact_line {
            (changed, changed)
        } else {
            table_around(&text, changed)
        };
        let path = dir.path().join(format!("broken-{i}.toml"));
        std::fs::write(&path, &text).unwrap();
        let o = run_bin(
            &["check-config", path.to_str().unwrap()],
            None,
            Duration::from_secs(30),
        );
        let out = all_output(&o);
        assert!(
            !o.status.success(),
            "{}: check-config must fail; output:\n{out}",
            case.what
        );
        assert_points_at(&out, &path, lines, case.fields);
    }
}

#[test]
fn syntax_error_names_file_and_line() {
    let base = base_config();
    let text = base.replacen("name = \"Hộ tịch\"", "name = \"Hộ tịch", 1);
    let line = line_of(&text, "name = \"Hộ tịch", 0);
    let dir = tempdir();
    let path = dir.path().join("syntax.toml");
    std::fs::write(&path, &text).unwrap();
    let o = run_bin(
        &["check-config", path.to_str().unwrap()],
        None,
        Duration::from_secs(30),
    );
    let out = all_output(&o);
    assert!(!o.status.success(), "{out}");
    // A syntax error has no field; the line must still be right (or the next one, where a
    // TOML parser notices the unterminated string).
    assert_points_at(&out, &path, (line, line + 1), &[""]);
}

#[test]
fn run_refuses_a_broken_file() {
    let text = base_config().replacen(
        "target_wait_min = 15",
        "target_wait_min = 15\ncolour = \"đỏ\"",
        1,
    );
    let line = line_of(&text, "colour", 0);
    let dir = tempdir();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, &text).unwrap();
    let data = dir.path().join("data");
    let o = run_bin(
        &[
            "run",
            "--config",
            path.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ],
        None,
        Duration::from_secs(30),
    );
    let out = all_output(&o);
    assert!(
        !o.status.success(),
        "run must refuse a broken config: {out}"
    );
    assert!(
        !out.contains("xephang listening on"),
        "it must not start: {out}"
    );
    assert_points_at(&out, &path, (line, line), &["colour"]);
}

#[test]
fn hash_pin_prints_argon2id() {
    let o = run_bin(&["hash-pin"], Some("1234\n"), Duration::from_secs(30));
    assert!(o.status.success(), "{}", all_output(&o));
    let h1 = String::from_utf8(o.stdout).unwrap().trim().to_string();
    assert!(
        h1.starts_with("$argon2id$"),
        "not an argon2id PHC string: {h1}"
    );
    assert_eq!(h1.lines().count(), 1, "one line: {h1}");
    let o = run_bin(&["hash-pin"], Some("1234\n"), Duration::from_secs(30));
    let h2 = String::from_utf8(o.stdout).unwrap().trim().to_string();
    assert!(h2.starts_with("$argon2id$"), "{h2}");
    assert_ne!(h1, h2, "each hash has its own salt");
}

#[tokio::test]
async fn a_hash_pin_hash_logs_in_with_that_pin() {
    let o = run_bin(&["hash-pin"], Some("2468\n"), Duration::from_secs(30));
    assert!(o.status.success(), "{}", all_output(&o));
    let hash = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let staff = format!(
        "[[staff]]\nid = \"moi01\"\nname = \"Phạm Văn Mới\"\npin_hash = \"{hash}\"\nsupervisor = false\n\n"
    );
    let mut text = base_config();
    let at = text.find("[[devices]]").unwrap();
    text.insert_str(at, &staff);
    let d = Daemon::start_with(&text);
    let api = d.api();
    let r = api
        .post(
            "/api/v1/login",
            None,
            json!({ "staff": "moi01", "pin": "1357", "counter": 1 }),
        )
        .await;
    r.expect_error(401, "unauthorized");
    let token = api.login("moi01", "2468", 1).await;
    let me = api.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.expect(200)["role"], "clerk", "{}", me.text);
    assert_eq!(me.body["staff"]["id"], "moi01", "{}", me.text);
}

#[test]
fn run_prints_its_address_first() {
    let dir = tempdir();
    let data = dir.path().join("data");
    let mut child = Command::new(bin())
        .args([
            "run",
            "--demo",
            "--config",
            default_config().to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let mut r = BufReader::new(stdout);
        let _ = r.read_line(&mut first);
        let _ = tx.send(first);
        // keep draining
        let mut sink = Vec::new();
        let _ = r.read_to_end(&mut sink);
    });
    let first = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let first = first.expect("no output within 20 s");
    let addr = first
        .trim_end()
        .strip_prefix("xephang listening on http://")
        .unwrap_or_else(|| panic!("first line: {first:?}"));
    let addr: std::net::SocketAddr = addr.parse().expect("ADDR");
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0, "the real port, not 0");
}
