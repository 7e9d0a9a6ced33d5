//! The daemon with `audio.output = "device"` on a machine without a sound card: it starts,
//! logs one warning, and serves calls (whose events still carry the playlist for boards) —
//! with the built-in voice, and with recorded clips present in its data dir (issue 17).

mod common;

use common::{default_config, Daemon, SUPERVISOR};

/// The demo centre with device output (and, with `recorded`, each recorded clip used at once).
fn config(recorded: bool) -> String {
    let text = std::fs::read_to_string(default_config()).expect("default config");
    assert!(text.contains("output = \"browser\""));
    let output = if recorded {
        "output = \"device\"\nrecorded = \"each\""
    } else {
        "output = \"device\""
    };
    text.replace("output = \"browser\"", output)
}

/// An ALSA configuration whose default device is a card that does not exist.
fn no_card() -> tempfile::TempDir {
    let alsa = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(alsa.path().join("alsa")).expect("mkdir");
    std::fs::write(
        alsa.path().join("alsa/asoundrc"),
        "pcm.!default { type hw; card 97 }\nctl.!default { type hw; card 97 }\n",
    )
    .expect("asoundrc");
    alsa
}

/// A 48 kHz WAV recording: 0.3 s silence, a 0.6 s voiced burst, 0.3 s silence.
fn take() -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut c = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut c, spec).unwrap();
    for i in 0..57_600 {
        let t = i as f32 / 48_000.0;
        let on = (0.3..0.9).contains(&t);
        let v = if on {
            0.3 * (2.0 * std::f32::consts::PI * 200.0 * t).sin()
        } else {
            0.0
        };
        w.write_sample((v * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    c.into_inner()
}

/// Calls a ticket and checks the call is served and announced to boards; returns how many
/// "no sound device" warnings the daemon logged (over all its starts).
async fn call_and_count_warnings(daemon: &Daemon) -> usize {
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
    daemon
        .log_tail()
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("no sound device"))
        .count()
}

#[tokio::test]
async fn device_output_without_a_sound_card_warns_once_and_serves_calls() {
    let alsa = no_card();
    let xdg = alsa.path().to_string_lossy().to_string();
    let daemon = Daemon::start_with_env(&config(false), &[("XDG_CONFIG_HOME", xdg.as_str())]);
    let warnings = call_and_count_warnings(&daemon).await;
    assert_eq!(
        warnings,
        1,
        "expected one warning, log:\n{}",
        daemon.log_tail()
    );
}

#[tokio::test]
async fn the_same_with_recorded_clips_in_the_data_dir() {
    let alsa = no_card();
    let xdg = alsa.path().to_string_lossy().to_string();
    let mut daemon = Daemon::start_with_env(&config(true), &[("XDG_CONFIG_HOME", xdg.as_str())]);
    let put = reqwest::Client::new()
        .put(format!("{}/api/v1/voice/vi/den_quay_so", daemon.base_url()))
        .bearer_auth(SUPERVISOR)
        .body(take())
        .send()
        .await
        .expect("upload");
    assert_eq!(put.status(), 200);
    // Started again with the recorded clip present.
    daemon.restart();
    assert!(daemon.data_dir().join("voice/vi/den_quay_so.wav").exists());
    let warnings = call_and_count_warnings(&daemon).await;
    assert_eq!(
        warnings,
        2,
        "expected one warning per start, log:\n{}",
        daemon.log_tail()
    );
    let voice: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/voice", daemon.base_url()))
        .bearer_auth(SUPERVISOR)
        .send()
        .await
        .expect("voice")
        .json()
        .await
        .expect("json");
    let url = voice["languages"][0]["clips"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clip"] == "den_quay_so")
        .and_then(|c| c["url"].as_str())
        .unwrap()
        .to_string();
    assert!(url.contains("?v="), "{url}");
    let served = reqwest::get(format!("{}{url}", daemon.base_url()))
        .await
        .expect("clip")
        .bytes()
        .await
        .expect("bytes");
    let stored = std::fs::read(daemon.data_dir().join("voice/vi/den_quay_so.wav")).unwrap();
    assert_eq!(served.as_ref(), &stored[..]);
}
