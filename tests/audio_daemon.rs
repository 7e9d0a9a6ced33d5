//! The daemon with `audio.output = "device"` on a machine without a sound card: it starts,
//! logs one warning, and serves calls (whose events still carry the playlist for boards).

mod common;

use common::{default_config, Daemon};

#[tokio::test]
async fn device_output_without_a_sound_card_warns_once_and_serves_calls() {
    let text = std::fs::read_to_string(default_config()).expect("default config");
    assert!(text.contains("output = \"browser\""));
    let text = text.replace("output = \"browser\"", "output = \"device\"");
    // An ALSA configuration whose default device is a card that does not exist.
    let alsa = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(alsa.path().join("alsa")).expect("mkdir");
    std::fs::write(
        alsa.path().join("alsa/asoundrc"),
        "pcm.!default { type hw; card 97 }\nctl.!default { type hw; card 97 }\n",
    )
    .expect("asoundrc");
    let xdg = alsa.path().to_string_lossy().to_string();
    let daemon = Daemon::start_with_env(&text, &[("XDG_CONFIG_HOME", xdg.as_str())]);
    let api = daemon.api();
    let ticket = api.issue("hotich").await;
    let clerk = api.clerk(1).await;
    let called = api.next(1, &clerk).await;
    let body = called.expect(200);
    assert_eq!(body["ticket"]["number"], ticket["number"]);
    // The call's event carries the announcement, served by the daemon.
    let state = api.state(None).await;
    assert_eq!(state["recent_calls"][0]["number"], ticket["number"]);
    let clip = reqwest::get(format!("{}/sounds/chime.wav", daemon.base_url()))
        .await
        .expect("clip");
    assert_eq!(clip.status(), 200);
    // Give the player thread a moment to fail to open the device, then count warnings.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let log = daemon.log_tail();
    let warnings = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("no sound device"))
        .count();
    assert_eq!(warnings, 1, "expected one warning, log:\n{log}");
}
