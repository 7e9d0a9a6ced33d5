//! A way forward from a damaged day file (issue 19): for each kind of damage start-up refuses
//! — a sequence going back (two daemons on one folder), a bad checksum mid-file, a duplicated
//! block of lines — start-up names `xephang journal repair` with the exact arguments,
//! `journal check` says what is wrong and what a repair would keep, `journal repair` keeps
//! exactly the intact prefix and moves exactly the rest beside the file (byte-compared), lists
//! the tickets set aside, and the daemon then starts on the prefix. A repair is refused while
//! a daemon runs on the folder.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

#[derive(Debug, Clone, Copy)]
enum Damage {
    SeqBack,
    BadChecksum,
    DuplicatedBlock,
}

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

fn json_of(line: &[u8]) -> Value {
    serde_json::from_slice(&line[9..]).expect("a journal line's JSON")
}

fn kind_of(line: &[u8]) -> String {
    json_of(line)["event"]["type"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// A journal line with a valid checksum for `json`.
fn encode(json: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(json).expect("serialise");
    let mut line = format!("{:08x} ", crc32fast::hash(&body)).into_bytes();
    line.extend_from_slice(&body);
    line.push(b'\n');
    line
}

/// The damaged bytes and the 0-based index of the first line that is not intact (the kept
/// prefix is exactly the original's first lines before it).
fn damage(lines: &[Vec<u8>], kind: Damage) -> (Vec<u8>, usize) {
    let issues: Vec<usize> = (0..lines.len())
        .filter(|&i| kind_of(&lines[i]) == "ticket_issued")
        .collect();
    assert!(issues.len() >= 6, "six tickets issued");
    let last_issue = *issues.last().expect("issues");
    match kind {
        Damage::SeqBack => {
            // A second daemon's line: an earlier seq, another ticket, a valid checksum.
            let at = last_issue + 2;
            assert!(at < lines.len(), "lines after the forged one");
            let mut forged = json_of(&lines[last_issue]);
            forged["event"]["ticket"]["id"] = Value::from("01JD0000000000000000000042");
            forged["event"]["ticket"]["number"] = Value::from("1042");
            let out = [&lines[..at], &[encode(&forged)], &lines[at..]].concat();
            (out.concat(), at)
        }
        Damage::BadChecksum => {
            let victim = issues[3];
            let mut bad = lines[victim].clone();
            let text = String::from_utf8(bad.clone()).expect("utf-8");
            assert!(text.contains("hotich"));
            bad = text.replacen("hotich", "hotixh", 1).into_bytes();
            let out = [&lines[..victim], &[bad], &lines[victim + 1..]].concat();
            (out.concat(), victim)
        }
        Damage::DuplicatedBlock => {
            // Three lines written twice (a block replayed), then the rest.
            let at = last_issue + 1;
            let out = [&lines[..at], &lines[at - 3..at], &lines[at..]].concat();
            (out.concat(), at)
        }
    }
}

fn set_aside_files(journal: &Path, day: &str) -> Vec<PathBuf> {
    std::fs::read_dir(journal)
        .expect("journal dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(&format!("{day}.jsonl.damaged-"))
            })
        })
        .collect()
}

async fn damaged_then_repaired(kind: Damage) {
    let mut d = Daemon::start_default();
    let api = d.api();
    let clerk = api.clerk(1).await;
    let mut tickets = Vec::new();
    for _ in 0..6 {
        tickets.push(api.issue("hotich").await);
    }
    api.next(1, &clerk).await.expect(200);
    api.next(1, &clerk).await.expect(200);
    let day = api.state_sans_now().await["day"]
        .as_str()
        .expect("day")
        .to_string();
    d.kill9();
    let data_dir = d.data_dir().to_path_buf();
    let dd = data_dir.to_str().expect("utf-8 path").to_string();
    let journal = data_dir.join("journal");
    let path = journal.join(format!("{day}.jsonl"));
    let good = std::fs::read(&path).expect("day file");
    let lines: Vec<Vec<u8>> = good
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    let (damaged, first_bad) = damage(&lines, kind);
    let kept: Vec<u8> = lines[..first_bad].concat();
    let rest = damaged[kept.len()..].to_vec();
    std::fs::write(&path, &damaged).expect("write the damage");

    // Start-up refuses and names the exact command.
    let err = d
        .try_restart()
        .expect_err("a damaged day file must stop start-up");
    let args = format!("--data-dir {dd} --day {day}");
    assert!(
        err.contains(&format!("xephang journal repair {args}")),
        "the start-up error names the repair command: {err}"
    );
    assert!(
        err.contains(&format!("{day}.jsonl:{}", first_bad + 1)),
        "the start-up error names file and line: {err}"
    );

    // check: read-only, says where and what, exit 1.
    let (code, out, stderr) = xephang(&["journal", "check", "--data-dir", &dd, "--day", &day]);
    eprintln!("{kind:?} check:\n{out}{stderr}");
    assert_eq!(code, Some(1), "check of a damaged file exits 1");
    assert!(
        out.contains(&format!("DAMAGED at line {}", first_bad + 1)),
        "{out}"
    );
    assert!(out.contains(&format!("lines 1–{first_bad}")), "{out}");
    assert!(
        out.contains(&format!("xephang journal repair {args}")),
        "{out}"
    );
    match kind {
        Damage::BadChecksum => assert!(out.contains("checksum mismatch"), "{out}"),
        _ => assert!(out.contains("sequence jumps"), "{out}"),
    }
    assert_eq!(
        std::fs::read(&path).expect("read"),
        damaged,
        "check changes nothing"
    );

    // What the set-aside lines hold: events not copies of kept lines, and their tickets.
    let kept_lines: Vec<&[u8]> = kept.split_inclusive(|&b| b == b'\n').collect();
    let lost: Vec<Value> = rest
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !kept_lines.contains(l))
        .map(json_of)
        .collect();
    let lost_ids: Vec<String> = lost
        .iter()
        .filter_map(|e| e["event"]["ticket"]["id"].as_str().map(str::to_string))
        .collect();
    assert!(!lost_ids.is_empty(), "the damage sets tickets aside");
    for id in &lost_ids {
        assert!(out.contains(id.as_str()), "check names ticket {id}: {out}");
    }

    // repair: the prefix stays, the rest moves beside it, byte for byte.
    let (code, out, stderr) = xephang(&["journal", "repair", "--data-dir", &dd, "--day", &day]);
    eprintln!("{kind:?} repair:\n{out}{stderr}");
    assert_eq!(code, Some(0), "repair succeeds: {out}{stderr}");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        kept,
        "the day file is the prefix"
    );
    let aside = set_aside_files(&journal, &day);
    assert_eq!(aside.len(), 1, "one set-aside file: {aside:?}");
    assert_eq!(
        std::fs::read(&aside[0]).expect("read set-aside"),
        rest,
        "the set-aside file holds exactly the rest"
    );
    assert!(
        out.contains(&format!("acknowledged events set aside: {}", lost.len())),
        "{out}"
    );
    for id in &lost_ids {
        assert!(out.contains(id.as_str()), "repair names ticket {id}: {out}");
    }
    let (code, out, _) = xephang(&["journal", "check", "--data-dir", &dd, "--day", &day]);
    assert_eq!(code, Some(0), "the repaired file is intact: {out}");

    // The daemon starts on the prefix.
    d.try_restart()
        .unwrap_or_else(|e| panic!("start after repair: {e}"));
    let api = d.api();
    let last_kept = json_of(kept_lines.last().expect("kept lines"))["seq"]
        .as_u64()
        .expect("seq");
    assert!(api.seq().await >= last_kept);
    let now = std::fs::read(&path).expect("read");
    assert!(
        now.starts_with(&kept),
        "the daemon builds on the kept prefix"
    );
    let issued_in = |lines: &[&[u8]]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| kind_of(l) == "ticket_issued")
            .filter_map(|l| {
                json_of(l)["event"]["ticket"]["id"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect()
    };
    for id in issued_in(&kept_lines) {
        api.ticket(&id).await.expect(200);
    }
    let lost_issues: Vec<String> = lost
        .iter()
        .filter(|e| e["event"]["type"] == "ticket_issued")
        .filter_map(|e| e["event"]["ticket"]["id"].as_str().map(str::to_string))
        .collect();
    for id in &lost_issues {
        api.ticket(id).await.expect_error(404, "not_found");
    }

    // A repair while the daemon runs is refused, names its PID, changes nothing.
    let pid = d.pid().expect("running");
    let before = std::fs::read(&path).expect("read");
    let (code, _, stderr) = xephang(&["journal", "repair", "--data-dir", &dd, "--day", &day]);
    assert_eq!(
        code,
        Some(1),
        "repair must be refused while the daemon runs"
    );
    assert!(stderr.contains(&format!("PID {pid}")), "{stderr}");
    assert_eq!(std::fs::read(&path).expect("read"), before);
    assert_eq!(set_aside_files(&journal, &day).len(), 1);
}

#[tokio::test]
async fn a_sequence_going_back_is_repaired() {
    damaged_then_repaired(Damage::SeqBack).await;
}

#[tokio::test]
async fn a_bad_checksum_mid_file_is_repaired() {
    damaged_then_repaired(Damage::BadChecksum).await;
}

#[tokio::test]
async fn a_duplicated_block_is_repaired() {
    damaged_then_repaired(Damage::DuplicatedBlock).await;
}
