//! The voice studio against the real daemon (issue 17): a recording uploaded as the browser
//! sends it becomes a clip that the next call's playlist, `/sounds/…` and the preview use; bad
//! uploads and damaged packs are refused with nothing changed; a pack exported on one daemon
//! (over HTTP or with `xephang voice export`) imports byte for byte on another.

mod common;

use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use common::*;
use serde_json::Value;

/// The demo centre with `audio.recorded = "each"` (each recorded clip used at once).
fn each_config() -> String {
    let text = std::fs::read_to_string(default_config()).expect("default config");
    assert!(text.contains("output = \"browser\""));
    text.replace(
        "output = \"browser\"",
        "output = \"browser\"\nrecorded = \"each\"",
    )
}

const WEBM: &[u8] = include_bytes!("fixtures/voice/chromium-mediarecorder.webm");

/// A WAV recording at 48 kHz: `before` s of silence, a `word` s voiced burst, `after` s.
fn take(before: f64, word: f64, after: f64, level: f32) -> Vec<u8> {
    let rate = 48_000u32;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut c = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut c, spec).unwrap();
    let n = |s: f64| (s * f64::from(rate)) as usize;
    for _ in 0..n(before) {
        w.write_sample(0i16).unwrap();
    }
    for i in 0..n(word) {
        let t = i as f32 / rate as f32;
        let ramp = (t / 0.02).min((word as f32 - t) / 0.02).min(1.0);
        let w0 = 2.0 * std::f32::consts::PI * 180.0 * t;
        let v = level * ramp * (w0.sin() + 0.4 * (2.0 * w0).sin()) / 1.4;
        w.write_sample((v * 32767.0) as i16).unwrap();
    }
    for _ in 0..n(after) {
        w.write_sample(0i16).unwrap();
    }
    w.finalize().unwrap();
    c.into_inner()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A raw request: (status, headers, body).
async fn raw(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Vec<u8>>,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut rb = client().request(method, url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.body(b);
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    let h = r.headers().clone();
    (status, h, r.bytes().await.expect("body").to_vec())
}

async fn put_clip(
    d: &Daemon,
    token: Option<&str>,
    lang: &str,
    clip: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let (status, _, b) = raw(
        reqwest::Method::PUT,
        format!("{}/api/v1/voice/{lang}/{clip}", d.base_url()),
        token,
        Some(body),
        &[("content-type", "audio/webm")],
    )
    .await;
    (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

async fn listing(d: &Daemon) -> Value {
    d.api()
        .get("/api/v1/voice", Some(SUPERVISOR))
        .await
        .expect(200)
        .clone()
}

fn clip<'a>(listing: &'a Value, lang: &str, name: &str) -> &'a Value {
    listing["languages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lang"] == lang)
        .and_then(|l| {
            l["clips"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["clip"] == name)
        })
        .unwrap_or_else(|| panic!("{lang}/{name} not listed"))
}

/// Every file under `dir`, relative path → bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for lang in ["vi", "en"] {
        let Ok(entries) = std::fs::read_dir(dir.join(lang)) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            out.push((
                format!("{lang}/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

/// Calls the next ticket at counter 1 and returns the `audio` of its `ticket_called` event.
async fn call_playlist(d: &Daemon) -> Vec<String> {
    let api = d.api();
    let mut ws = ws_connect(&ws_url_with(&d.ws_url(), &[("token", DISPLAY)])).await;
    let first = ws_next(&mut ws, Duration::from_secs(5))
        .await
        .expect("snapshot");
    assert_eq!(first.kind(), "snapshot");
    api.issue("hotich").await;
    let clerk = api.clerk(1).await;
    api.next(1, &clerk).await.expect(200);
    loop {
        let f = ws_next(&mut ws, Duration::from_secs(5))
            .await
            .expect("ticket_called");
        if f.event_type() == "ticket_called" {
            return f.json["event"]["audio"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u.as_str().unwrap().to_string())
                .collect();
        }
    }
}

fn samples(wav: &[u8]) -> Vec<i16> {
    hound::WavReader::new(Cursor::new(wav))
        .unwrap()
        .into_samples::<i16>()
        .map(Result::unwrap)
        .collect()
}

/// Whether `clip`'s samples appear in `whole` (within 2 LSB: rendering re-quantises).
fn contains(whole: &[i16], clip: &[i16]) -> bool {
    whole.windows(clip.len()).any(|w| {
        w.iter()
            .zip(clip)
            .all(|(a, b)| (i32::from(*a) - i32::from(*b)).abs() <= 2)
    })
}

#[tokio::test]
async fn a_browser_recording_becomes_the_clip_of_the_next_call() {
    let mut d = Daemon::start_with(&each_config());
    let before = call_playlist(&d).await;
    assert!(
        before.contains(&"/sounds/vi/den_quay_so.wav".to_string()),
        "{before:?}"
    );

    let (status, body) = put_clip(&d, Some(SUPERVISOR), "vi", "den_quay_so", WEBM.to_vec()).await;
    assert_eq!(status, 200, "{body}");
    let report = &body["report"];
    assert_eq!(report["source"], "WebM/Opus");
    let secs = report["duration_s"].as_f64().unwrap();
    assert!((secs - 1.2).abs() < 0.1, "{report}");
    assert!(
        (report["loudness_lufs"].as_f64().unwrap() + 18.0).abs() < 1.0,
        "{report}"
    );
    let version = body["clip"]["version"].as_str().unwrap().to_string();
    assert_eq!(body["clip"]["in_use"], true);
    let stored = std::fs::read(d.data_dir().join("voice/vi/den_quay_so.wav")).unwrap();

    // The next call says it, at a URL with its version, served for good with an ETag.
    let url = format!("/sounds/vi/den_quay_so.wav?v={version}");
    let playlist = call_playlist(&d).await;
    assert!(playlist.contains(&url), "{playlist:?}");
    let (status, h, bytes) = raw(
        reqwest::Method::GET,
        format!("{}{url}", d.base_url()),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!((status, bytes == stored), (200, true));
    assert!(h["cache-control"].to_str().unwrap().contains("immutable"));
    let etag = h["etag"].to_str().unwrap().to_string();
    let plain = format!("{}/sounds/vi/den_quay_so.wav", d.base_url());
    let (status, h, bytes) = raw(reqwest::Method::GET, plain.clone(), None, None, &[]).await;
    assert_eq!((status, bytes == stored), (200, true));
    assert_eq!(h["cache-control"], "no-cache");
    let (status, _, _) = raw(
        reqwest::Method::GET,
        plain,
        None,
        None,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, 304);

    // The rendered announcement of that call holds the clip.
    let (status, h, wav) = raw(
        reqwest::Method::GET,
        format!(
            "{}/api/v1/voice/preview?number=1005&counter=3",
            d.base_url()
        ),
        Some(SUPERVISOR),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, h["content-type"].to_str().unwrap()),
        (200, "audio/wav")
    );
    assert!(contains(&samples(&wav), &samples(&stored)));

    // It survives a restart; delete returns to the built-in clip.
    d.restart();
    assert_eq!(
        clip(&listing(&d).await, "vi", "den_quay_so")["version"],
        version.as_str()
    );
    assert!(call_playlist(&d).await.contains(&url));
    let r = d
        .api()
        .delete("/api/v1/voice/vi/den_quay_so", Some(SUPERVISOR))
        .await;
    assert_eq!(r.expect(200)["state"], "builtin");
    assert!(call_playlist(&d)
        .await
        .contains(&"/sounds/vi/den_quay_so.wav".to_string()));
    assert!(!d.data_dir().join("voice/vi/den_quay_so.wav").exists());
}

#[tokio::test]
async fn bad_uploads_are_refused_and_change_nothing() {
    let d = Daemon::start_with(&each_config());
    let (status, _) = put_clip(&d, Some(SUPERVISOR), "vi", "mot", take(0.3, 0.5, 0.3, 0.3)).await;
    assert_eq!(status, 200);
    let before = listing(&d).await;
    let files_before = files(&d.data_dir().join("voice"));
    let playlist = d
        .api()
        .get("/api/v1/voice", Some(SUPERVISOR))
        .await
        .text
        .clone();

    // (token, clip, body, status, code)
    type Case<'a> = (Option<&'a str>, &'a str, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            Some(SUPERVISOR),
            "mot",
            b"<html>not a recording</html>".to_vec(),
            400,
            "not_audio",
        ),
        (
            Some(SUPERVISOR),
            "hai",
            take(1.0, 0.0, 1.0, 0.0),
            400,
            "audio_silent",
        ),
        (
            Some(SUPERVISOR),
            "mot",
            WEBM[..100].to_vec(),
            400,
            "not_audio",
        ),
        (Some(SUPERVISOR), "xyz", WEBM.to_vec(), 404, "unknown_clip"),
        (
            Some(SUPERVISOR),
            "mot",
            vec![0u8; 9 * 1024 * 1024],
            413,
            "payload_too_large",
        ),
        (Some(KIOSK), "mot", WEBM.to_vec(), 403, "forbidden"),
        (None, "mot", WEBM.to_vec(), 401, "unauthorized"),
    ];
    for (token, name, body, status, code) in cases {
        let (got, err) = put_clip(&d, token, "vi", name, body).await;
        assert_eq!(
            (got, err["error"]["code"].as_str().unwrap_or("")),
            (status, code),
            "{name}: {err}"
        );
        assert!(!err["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    let r = d
        .api()
        .delete("/api/v1/voice/fr/mot", Some(SUPERVISOR))
        .await;
    r.expect_error(404, "unknown_clip");
    let r = d.api().get("/api/v1/voice", Some(KIOSK)).await;
    r.expect_error(403, "forbidden");
    assert_eq!(listing(&d).await, before);
    assert_eq!(files(&d.data_dir().join("voice")), files_before);
    assert_eq!(
        d.api().get("/api/v1/voice", Some(SUPERVISOR)).await.text,
        playlist
    );
    // The English message for Accept-Language: en.
    let (_, _, b) = raw(
        reqwest::Method::PUT,
        format!("{}/api/v1/voice/vi/hai", d.base_url()),
        Some(SUPERVISOR),
        Some(take(1.0, 0.0, 1.0, 0.0)),
        &[("accept-language", "en")],
    )
    .await;
    let msg: Value = serde_json::from_slice(&b).unwrap();
    assert!(
        msg["error"]["message"].as_str().unwrap().contains("silent"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_pack_exported_on_one_daemon_imports_byte_identical_on_another() {
    let a = Daemon::start_with(&each_config());
    for (lang, name, body) in [
        ("vi", "den_quay_so", WEBM.to_vec()),
        ("vi", "mot", take(0.4, 0.35, 0.6, 0.2)),
        ("en", "three", take(0.2, 0.4, 0.2, 0.05)),
    ] {
        let (status, body) = put_clip(&a, Some(SUPERVISOR), lang, name, body).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, h, pack) = raw(
        reqwest::Method::GET,
        format!("{}/api/v1/voice/pack", a.base_url()),
        Some(SUPERVISOR),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, h["content-type"].to_str().unwrap()),
        (200, "application/x-tar")
    );
    let a_files = files(&a.data_dir().join("voice"));
    assert_eq!(a_files.len(), 3);

    // Daemon B had its own take of another Vietnamese clip: the pack's language replaces it.
    let b = Daemon::start_with(&each_config());
    let (status, _) = put_clip(&b, Some(SUPERVISOR), "vi", "ba", take(0.2, 0.4, 0.2, 0.2)).await;
    assert_eq!(status, 200);
    let b_before = listing(&b).await;
    let b_files = files(&b.data_dir().join("voice"));

    // Damaged packs first: each refused, nothing changed.
    let mut flipped = pack.clone();
    let at = pack.len() - 3000;
    flipped[at] ^= 0x20;
    for bad in [
        flipped,
        pack[..pack.len() / 2].to_vec(),
        b"hello".to_vec(),
        WEBM.to_vec(),
    ] {
        let (status, _, body) = raw(
            reqwest::Method::PUT,
            format!("{}/api/v1/voice/pack", b.base_url()),
            Some(SUPERVISOR),
            Some(bad),
            &[],
        )
        .await;
        let err: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (status, err["error"]["code"].as_str().unwrap()),
            (400, "bad_pack"),
            "{err}"
        );
        assert_eq!(listing(&b).await, b_before);
        assert_eq!(files(&b.data_dir().join("voice")), b_files);
    }

    let (status, _, body) = raw(
        reqwest::Method::PUT,
        format!("{}/api/v1/voice/pack", b.base_url()),
        Some(SUPERVISOR),
        Some(pack.clone()),
        &[],
    )
    .await;
    let done: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, done["clips"].as_u64()), (200, Some(3)), "{done}");
    assert_eq!(
        files(&b.data_dir().join("voice")),
        a_files,
        "byte-identical clips"
    );
    let (la, lb) = (listing(&a).await, listing(&b).await);
    for (lang, name) in [("vi", "den_quay_so"), ("vi", "mot"), ("en", "three")] {
        assert_eq!(
            clip(&la, lang, name)["version"],
            clip(&lb, lang, name)["version"]
        );
        let url = clip(&lb, lang, name)["url"].as_str().unwrap().to_string();
        let (_, _, served) = raw(
            reqwest::Method::GET,
            format!("{}{url}", b.base_url()),
            None,
            None,
            &[],
        )
        .await;
        let want = &a_files
            .iter()
            .find(|(p, _)| *p == format!("{lang}/{name}.wav"))
            .unwrap()
            .1;
        assert_eq!(&served, want, "{url}");
    }
    assert_eq!(clip(&lb, "vi", "ba")["state"], "builtin");

    // The same with the command line: export from A's data dir, import into C's.
    let tmp = tempdir();
    let out = tmp.path().join("pack.tar");
    let run = |args: &[&str]| {
        std::process::Command::new(bin())
            .args(args)
            .output()
            .expect("xephang voice")
    };
    let a_data = a.data_dir().to_string_lossy().to_string();
    let o = run(&[
        "voice",
        "export",
        "--data-dir",
        &a_data,
        "--out",
        &out.to_string_lossy(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut c = Daemon::start_with(&each_config());
    c.kill9();
    let c_data = c.data_dir().to_string_lossy().to_string();
    let mut damaged = std::fs::read(&out).unwrap();
    let n = damaged.len();
    damaged[n - 3000] ^= 0x01;
    let bad_file = tmp.path().join("bad.tar");
    std::fs::write(&bad_file, damaged).unwrap();
    let o = run(&[
        "voice",
        "import",
        &bad_file.to_string_lossy(),
        "--data-dir",
        &c_data,
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a valid voice pack"));
    assert!(files(&c.data_dir().join("voice")).is_empty());
    let o = run(&[
        "voice",
        "import",
        &out.to_string_lossy(),
        "--data-dir",
        &c_data,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    c.restart();
    assert_eq!(files(&c.data_dir().join("voice")), a_files);
    let lc = listing(&c).await;
    assert_eq!(clip(&lc, "vi", "mot")["in_use"], true);
}
