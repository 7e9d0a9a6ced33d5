//! The admin page's changes outlive a restart and a day change, never put a PIN or a token
//! in the clear into the journal or onto a socket, and `xephang config export` gives a file
//! on which a fresh daemon has the same effective configuration (issue 20).

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn patch_sup(api: &Api, path: &str, body: Value) -> Resp {
    patch(api, path, Some(SUPERVISOR), body).await
}

/// What the admin page changed, as the API shows it.
struct Made {
    pin: String,
    token: String,
}

async fn make_changes(api: &Api) -> Made {
    let r = api
        .post(
            "/api/v1/admin/staff",
            Some(SUPERVISOR),
            json!({"id": "c01", "name": "Lê Văn C"}),
        )
        .await;
    let pin = r.expect(201)["pin"].as_str().expect("pin").to_string();
    let tv = add_device(api, json!({"name": "TV tầng 2", "role": "display"})).await;
    let token = tv["token"].as_str().expect("token").to_string();
    // A counter display (the small screen above counter 4).
    add_device(
        api,
        json!({"name": "Màn hình Quầy 4", "role": "display", "counter": 4}),
    )
    .await;
    api.delete(
        "/api/v1/admin/devices/Kiosk%20s%E1%BA%A3nh",
        Some(SUPERVISOR),
    )
    .await
    .expect(204);
    patch_sup(
        api,
        "/api/v1/admin/staff/nv02",
        json!({"name": "Trần Thị Bình An"}),
    )
    .await
    .expect(200);
    patch_sup(
        api,
        "/api/v1/admin/counters/3",
        json!({"services": ["chungthuc", "datdai"], "mode": "ordered"}),
    )
    .await
    .expect(200);
    patch_sup(
        api,
        "/api/v1/admin/services/datdai",
        json!({"name": "Đất đai – Nhà ở", "name_en": "Land and housing", "hours": ["07:00-11:30"], "target_wait_s": 1200, "remote": true}),
    )
    .await
    .expect(200);
    patch_sup(
        api,
        "/api/v1/admin/notice",
        json!({"vi": "Thông báo mới", "en": "New notice"}),
    )
    .await
    .expect(200);
    // A disabled account, a PIN reset not yet used, a service that stopped issuing.
    patch_sup(api, "/api/v1/admin/staff/nv05", json!({"disabled": true}))
        .await
        .expect(200);
    api.post_empty("/api/v1/admin/staff/nv04/reset-pin", Some(SUPERVISOR))
        .await
        .expect(200);
    patch_service(api, "gplx", json!({"closed": true}))
        .await
        .expect(200);
    // A service that stopped taking appointments (the file gives it slots).
    let r = patch_service(api, "tiepdan", json!({"appointments": false})).await;
    assert!(r.expect(200)["appointments"].is_null(), "{}", r.text);
    Made { pin, token }
}

/// Each element of the JSON array `list`, as `pick` sees it.
fn each(list: &Value, pick: impl Fn(&Value) -> Value) -> Vec<Value> {
    list.as_array().expect("a list").iter().map(pick).collect()
}

/// `GET path` as the supervisor, each row as `pick` sees it.
async fn admin_rows(api: &Api, path: &str, pick: impl Fn(&Value) -> Value) -> Vec<Value> {
    each(api.get(path, Some(SUPERVISOR)).await.expect(200), pick)
}

/// The effective configuration as the API shows it: services and counters of `/state`,
/// the notice, the staff and device lists.
async fn effective(api: &Api) -> Value {
    let state = api.state(None).await;
    let services = each(&state["services"], |s| {
        json!([
            s["id"],
            s["name"],
            s["name_en"],
            s["target_wait_s"],
            s["remote"]
        ])
    });
    let counters = each(&state["counters"], |c| {
        json!([c["id"], c["services"], c["mode"]])
    });
    let staff = admin_rows(api, "/api/v1/admin/staff", |s| {
        json!([
            s["id"],
            s["name"],
            s["supervisor"],
            s["disabled"],
            s["must_change_pin"]
        ])
    })
    .await;
    let devices = admin_rows(api, "/api/v1/admin/devices", |d| {
        json!([d["name"], d["role"], d["counter"]])
    })
    .await;
    let admin_services = admin_rows(api, "/api/v1/admin/services", |s| {
        json!([s["id"], s["hours"], s["closed"], s["appointments"]])
    })
    .await;
    assert!(
        devices.contains(&json!(["Màn hình Quầy 4", "display", 4])),
        "the counter display: {devices:?}"
    );
    let text = state.to_string();
    json!({
        "services": services, "counters": counters, "staff": staff, "devices": devices,
        "admin_services": admin_services,
        "notice": text.contains("Thông báo mới"),
    })
}

/// Every change is still there after `what`: the effective configuration, the audit (when
/// given), the added device's token works and the revoked kiosk's does not.
async fn assert_kept(api: &Api, before: &Value, audit: Option<&Value>, made: &Made, what: &str) {
    assert_eq!(&effective(api).await, before, "{what} lost a change");
    if let Some(audit) = audit {
        let now = api.get("/api/v1/admin/audit", Some(SUPERVISOR)).await;
        assert_eq!(&now.body, audit, "{what} changed the audit");
    }
    api.get("/api/v1/state", Some(&made.token))
        .await
        .expect(200);
    api.get("/api/v1/state", Some(KIOSK))
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn a_restart_and_a_day_change_keep_every_change() {
    let mut d = start_admin_demo();
    let api = d.api();
    let made = make_changes(&api).await;
    let before = effective(&api).await;
    assert_eq!(before["notice"], true);
    let audit = api.get("/api/v1/admin/audit", Some(SUPERVISOR)).await.body;
    assert_eq!(audit.as_array().map(Vec::len), Some(12), "{audit}");

    d.restart();
    let api = d.api();
    assert_kept(&api, &before, Some(&audit), &made, "a restart").await;
    let login = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "c01", "pin": made.pin, "counter": 5}),
        )
        .await;
    assert_eq!(login.expect(200)["must_change_pin"], true);

    d.set_env(CLOCK, &clock_at("2031-05-06T08:00:00+07:00"));
    d.restart();
    let api = d.api();
    assert_eq!(api.state(None).await["day"], "2031-05-06");
    assert_kept(&api, &before, Some(&audit), &made, "the day change").await;
    // A restart on the new day replays the new day's file alone: still there.
    d.restart();
    let api = d.api();
    assert_kept(
        &api,
        &before,
        Some(&audit),
        &made,
        "a restart on the new day",
    )
    .await;
    // The counter change is followed there.
    let clerk = api.clerk(3).await;
    api.set_status(3, &clerk, "open").await.expect(200);
    // (The kiosk's token was revoked: the supervisor issues.)
    let r = api
        .post(
            "/api/v1/tickets",
            Some(SUPERVISOR),
            json!({"service": "chungthuc"}),
        )
        .await;
    let t = r.expect(201).clone();
    assert_eq!(
        api.next(3, &clerk).await.expect(200)["ticket"]["number"],
        t["number"]
    );
}

#[tokio::test]
async fn no_pin_or_token_in_the_clear_in_the_journal_or_on_a_socket() {
    let d = start_admin_demo();
    let api = d.api();
    let public = Collector::open(&d.ws_url()).await;
    let display = Collector::open(&ws_url_with(&d.ws_url(), &[("token", DISPLAY)])).await;
    let sup = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let made = make_changes(&api).await;
    let reset = api
        .post_empty("/api/v1/admin/staff/nv01/reset-pin", Some(SUPERVISOR))
        .await;
    let reset_pin = reset.expect(200)["pin"].as_str().expect("pin").to_string();
    let login = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "c01", "pin": made.pin, "counter": 3}),
        )
        .await;
    let clerk = login.expect(200)["token"]
        .as_str()
        .expect("token")
        .to_string();
    api.post(
        "/api/v1/me/pin",
        Some(&clerk),
        json!({"pin": made.pin, "new_pin": "86420"}),
    )
    .await
    .expect(204);
    let seq = api.seq().await;
    for c in [&public, &display, &sup] {
        c.wait_seq(seq, Duration::from_secs(5)).await;
    }
    let token_hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(made.token.as_bytes()))
    };
    let journal: String = std::fs::read_dir(d.data_dir().join("journal"))
        .expect("journal dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .collect();
    assert!(
        journal.contains("config_changed"),
        "no admin event journalled"
    );
    assert!(
        journal.contains(&token_hash),
        "the token's hash is what is kept"
    );
    for secret in [&made.pin, &reset_pin, &"86420".to_string(), &made.token] {
        assert!(
            !journal.contains(&format!("\"{secret}\"")),
            "{secret} in the journal"
        );
        assert!(
            !journal.contains(secret.as_str()) || secret.len() < 16,
            "{secret} in the journal"
        );
    }
    for (who, c) in [
        ("public", &public),
        ("display", &display),
        ("supervisor", &sup),
    ] {
        let frames = c.frames();
        let text: String = frames
            .iter()
            .map(|f| f.raw.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.contains("config_changed"),
            "{who} got no config_changed frame"
        );
        for secret in [
            &made.pin,
            &reset_pin,
            &"86420".to_string(),
            &made.token,
            &token_hash,
        ] {
            assert!(
                !text.contains(&format!("\"{secret}\"")),
                "{secret} on the {who} socket"
            );
        }
        assert!(!text.contains("argon2"), "a PIN hash on the {who} socket");
        assert!(!text.contains("token_hash\":\"") || !text.contains(&token_hash));
        if who != "supervisor" {
            // Who may sign in is the supervisors' business: only the kind of change.
            for f in frames.iter().filter(|f| f.event_type() == "config_changed") {
                let change = &f.json["event"]["change"];
                assert!(
                    !f.raw.contains("Lê Văn C") && !f.raw.contains("c01"),
                    "{who}: {}",
                    f.raw
                );
                if change["change"] == "redacted" {
                    assert!(change["of"].is_string(), "{}", f.raw);
                }
                assert!(f.json["event"]["by"].is_null(), "{who} sees who: {}", f.raw);
            }
        }
    }
    assert!(
        sup.frames().iter().any(|f| f.raw.contains("Lê Văn C")),
        "supervisors see staff changes"
    );
}

#[tokio::test]
async fn config_export_gives_the_same_effective_configuration() {
    let mut d = start_admin_demo();
    let api = d.api();
    let made = make_changes(&api).await;
    let before = effective(&api).await;
    d.kill9();
    let out = d.tmp_dir().join("exported.toml");
    let run = std::process::Command::new(bin())
        .args(["config", "export", "--config"])
        .arg(d.config_path())
        .arg("--data-dir")
        .arg(d.data_dir())
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run export");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("exported");
    assert!(text.contains("token_sha256"), "{text}");
    assert!(!text.contains(&made.token));
    let check = std::process::Command::new(bin())
        .arg("check-config")
        .arg(&out)
        .output()
        .expect("run check-config");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    let fresh = Daemon::start_with_env(&text, &[(CLOCK, &clock_at("2031-05-05T09:00:00+07:00"))]);
    let api = fresh.api();
    assert_kept(&api, &before, None, &made, "the exported file").await;
    api.post(
        "/api/v1/login",
        None,
        json!({"staff": "c01", "pin": made.pin, "counter": 3}),
    )
    .await
    .expect(200);
}
