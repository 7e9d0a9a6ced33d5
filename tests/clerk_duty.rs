//! A click can no longer land on another clerk's shift (issue 13): counter commands carry the
//! acting clerk's staff id and the writer refuses one from a clerk no longer on duty at that
//! counter with 409 `not_on_duty`. The race: clerk nv01 clicks *next* (authorised against the
//! read model, which still shows nv01) while nv02 logs in at the same counter; the click
//! reaches the writer after the login. Before the fix it ran as nv02 (the called ticket's
//! `clerk` was nv02 in nv01's answer).

mod common;

use common::*;
use serde_json::{json, Value};

/// argon2id (m=8 KiB, t=1) of "1234": a login costs microseconds, so that the login's command
/// reaches the writer while the clicks are in flight (the demo hashes take ~1 s in debug).
const CHEAP_1234: &str =
    "$argon2id$v=19$m=8,t=1,p=1$eGVwaGFuZ2Z1enoxMjM0$ss29MhsqtYQYRH4/rwh7lmx8CdqMFUyYZoqk1ZC8AQU";

/// config/default.toml with every PIN hash replaced by [`CHEAP_1234`].
fn cheap_centre() -> String {
    let text = std::fs::read_to_string(default_config()).expect("read config/default.toml");
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("pin_hash") {
                format!("pin_hash = \"{CHEAP_1234}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const ROUNDS: usize = 40;
const CLICKS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_click_racing_another_clerks_login_never_runs_as_the_new_clerk() {
    let d = Daemon::start_with(&cheap_centre());
    let api = d.api();
    let mut refused = 0;
    let mut session_ended = 0;
    let mut served = 0;
    let mut wrong: Vec<Value> = Vec::new();
    for _ in 0..ROUNDS {
        // nv01 takes the counter back from nv02 (a take-over: `force`).
        let back = api
            .post(
                "/api/v1/login",
                None,
                json!({"staff": "nv01", "pin": PIN, "counter": 1, "force": true}),
            )
            .await;
        let a = back.expect(200)["token"]
            .as_str()
            .expect("token")
            .to_string();
        for _ in 0..CLICKS {
            api.issue("hotich").await;
        }
        let clicks = futures_util::future::join_all((0..CLICKS).map(|_| api.next(1, &a)));
        let login = api.post(
            "/api/v1/login",
            None,
            json!({"staff": "nv02", "pin": PIN, "counter": 1, "force": true}),
        );
        let (clicks, login) = tokio::join!(clicks, login);
        login.expect(200);
        for r in clicks {
            match (r.status, r.code()) {
                (200, _) => {
                    served += 1;
                    for key in ["ticket", "finished"] {
                        let t = &r.body[key];
                        if !t.is_null() && t["clerk"] != json!("nv01") {
                            wrong.push(r.body.clone());
                        }
                    }
                }
                (409, "not_on_duty") => {
                    refused += 1;
                    assert!(
                        r.message().contains("quầy 1"),
                        "the message names the counter: {}",
                        r.text
                    );
                }
                (401, "unauthorized") => session_ended += 1,
                _ => panic!("unexpected answer to nv01's click: {} {}", r.status, r.text),
            }
        }
    }
    eprintln!(
        "{ROUNDS} rounds × {CLICKS} clicks: {served} served as nv01, {refused} refused \
         not_on_duty (the race), {session_ended} refused 401 (after the login was visible)"
    );
    assert!(
        wrong.is_empty(),
        "{} of nv01's clicks ran as another clerk, e.g. {}",
        wrong.len(),
        wrong[0]
    );
}
