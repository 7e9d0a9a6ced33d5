//! `[centre] public_url` (issue 14, item 1): the ticket JSON's `url` — what its QR code
//! encodes — points at the configured public address, not at whatever address the kiosk
//! used; without it, at the request's own host. A malformed value stops start-up.

mod common;

use common::*;

fn with_public_url(url: &str) -> String {
    let services = service_toml("hotich", "Hộ tịch", 1001, 1999, "");
    centre_toml(&services, &[(1, &["hotich"])]).replacen(
        "[centre]\n",
        &format!("[centre]\npublic_url = \"{url}\"\n"),
        1,
    )
}

#[tokio::test]
async fn tickets_point_at_the_public_url() {
    let d = Daemon::start_with(&with_public_url("https://xephang.tinh.gov.vn/"));
    let api = d.api();
    let t = api.issue("hotich").await;
    let id = id_of(&t);
    let want = format!("https://xephang.tinh.gov.vn/t/{id}");
    assert_eq!(t["url"], want.as_str(), "issue answer: {t}");
    let again = api.ticket(&id).await;
    assert_eq!(
        again.body["url"],
        want.as_str(),
        "GET ticket: {}",
        again.text
    );
}

#[tokio::test]
async fn without_it_tickets_point_at_the_request_host() {
    let d = Daemon::start_default();
    let api = d.api();
    let t = api.issue("hotich").await;
    let want = format!("{}/t/{}", d.base_url(), id_of(&t));
    assert_eq!(t["url"], want.as_str(), "issue answer: {t}");
}

#[test]
fn a_public_url_that_is_not_http_is_refused_with_its_line() {
    let dir = tempdir();
    let cfg = dir.path().join("centre.toml");
    std::fs::write(&cfg, with_public_url("xephang.tinh.gov.vn")).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xephang"))
        .arg("check-config")
        .arg(&cfg)
        .output()
        .expect("run check-config");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted: {text}");
    assert!(
        text.contains("centre.public_url") && text.contains(":2:"),
        "{text}"
    );
}
