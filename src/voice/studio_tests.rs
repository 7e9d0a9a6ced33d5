//! The studio with an announcer: recorded clips go into playlists (with their version) and the
//! rendered announcement as `audio.recorded` says, bad recordings change nothing, packs move
//! a voice from one data dir to another byte for byte.

use std::io::Cursor;

use super::*;
use crate::audio::settings::{AudioSettings, Recorded};
use crate::voice::process::tests::{longest_quiet_run, recording};

/// Records every required clip of the first listed language with synthetic takes (words of
/// slightly different lengths and levels). Deterministic: two studios get the same clips.
pub(crate) fn record_required(studio: &Studio) {
    let listing = studio.list();
    let lang = &listing.languages[0];
    for (i, clip) in lang.clips.iter().filter(|c| c.required).enumerate() {
        let word = 0.25 + 0.03 * (i % 7) as f64;
        let level = 0.1 + 0.02 * (i % 10) as f32;
        studio
            .record(lang.lang, &clip.clip, &take(0.4, word, 0.5, level))
            .unwrap();
    }
}

/// A WAV file of a synthetic recording: `before` s silence, a `word` s burst, `after` s.
pub(crate) fn take(before: f64, word: f64, after: f64, level: f32) -> Vec<u8> {
    let samples = recording(48_000, before, word, after, level, 0.0005);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut c = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut c, spec).unwrap();
    for s in samples {
        w.write_sample((s * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    c.into_inner()
}

fn studio(dir: &Path, mode: Recorded) -> (Studio, Announcer) {
    let settings = AudioSettings {
        recorded: mode,
        ..AudioSettings::default()
    };
    let announcer = Announcer::new(&settings).unwrap();
    (
        Studio::open(dir, announcer.clone(), ["A"], "Test"),
        announcer,
    )
}

fn required(studio: &Studio) -> Vec<String> {
    studio.list().languages[0]
        .clips
        .iter()
        .filter(|c| c.required)
        .map(|c| c.clip.clone())
        .collect()
}

#[test]
fn each_mode_uses_a_clip_as_soon_as_it_is_saved_and_delete_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, announcer) = studio(dir.path(), Recorded::Each);
    let before = announcer.playlist("1005", 3);
    assert!(before.contains(&"/sounds/vi/den_quay_so.wav".to_string()));
    let (state, report) = studio
        .record("vi", "den_quay_so", &take(0.5, 0.9, 0.5, 0.2))
        .unwrap();
    assert!(state.in_use && state.state == "recorded");
    assert!((report.duration_s - 0.9).abs() < 0.1, "{report:?}");
    let v = state.version.clone().unwrap();
    let url = format!("/sounds/vi/den_quay_so.wav?v={v}");
    let after = announcer.playlist("1005", 3);
    assert!(after.contains(&url), "{after:?}");
    let stored = std::fs::read(dir.path().join("voice/vi/den_quay_so.wav")).unwrap();
    assert_eq!(announcer.clip(&url).unwrap().as_ref(), &stored[..]);
    // The rendered announcement holds the recorded clip's samples.
    let rendered = announcer.samples(&after);
    let pcm = crate::voice::store::pcm_of_wav(&stored).unwrap();
    assert!(rendered.windows(pcm.len()).any(|w| w == &pcm[..]));
    // Another take gets another version; delete returns to the built-in clip.
    let (again, _) = studio
        .record("vi", "den_quay_so", &take(0.3, 0.7, 0.3, 0.1))
        .unwrap();
    assert_ne!(again.version.unwrap(), v);
    let state = studio.delete("vi", "den_quay_so").unwrap();
    assert_eq!((state.state, state.in_use), ("builtin", false));
    assert_eq!(announcer.playlist("1005", 3), before);
    assert!(!dir.path().join("voice/vi/den_quay_so.wav").exists());
}

#[test]
fn complete_mode_waits_for_every_required_clip_of_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, announcer) = studio(dir.path(), Recorded::Complete);
    let builtin = announcer.playlist("A105", 2);
    let names = required(&studio);
    assert!(
        names.contains(&"letter_a".to_string()),
        "the prefix letter is required"
    );
    let word = take(0.2, 0.3, 0.2, 0.2);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            announcer.playlist("A105", 2),
            builtin,
            "in use before {name}"
        );
        let lang = &studio.list().languages[0];
        assert_eq!(
            (lang.recorded, lang.complete, lang.in_use),
            (i, false, false)
        );
        studio.record("vi", name, &word).unwrap();
    }
    let lang = &studio.list().languages[0];
    assert!(lang.complete && lang.in_use);
    let now = announcer.playlist("A105", 2);
    let words: Vec<&String> = now
        .iter()
        .filter(|u| u.starts_with("/sounds/vi/"))
        .collect();
    assert!(
        !words.is_empty() && words.iter().all(|u| u.contains("?v=")),
        "{now:?}"
    );
    // One clip deleted: the whole language is back to the built-in voice.
    studio.delete("vi", &names[3]).unwrap();
    assert_eq!(announcer.playlist("A105", 2), builtin);
}

#[test]
fn bad_recordings_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, announcer) = studio(dir.path(), Recorded::Each);
    studio
        .record("vi", "mot", &take(0.2, 0.4, 0.2, 0.2))
        .unwrap();
    let listing = serde_json::to_string(&studio.list()).unwrap();
    let playlist = announcer.playlist("1001", 1);
    let silent = take(1.0, 0.0, 1.0, 0.0);
    for (bytes, code) in [
        (&b"this is not audio"[..], "not_audio"),
        (&silent[..], "audio_silent"),
    ] {
        for clip in ["mot", "hai"] {
            let err = studio.record("vi", clip, bytes).unwrap_err();
            assert_eq!(err.code(), code);
        }
    }
    assert_eq!(
        studio
            .record("vi", "xyz", &take(0.2, 0.4, 0.2, 0.2))
            .unwrap_err()
            .code(),
        "unknown_clip"
    );
    assert_eq!(
        studio.record("fr", "mot", &silent).unwrap_err().code(),
        "unknown_clip"
    );
    assert_eq!(serde_json::to_string(&studio.list()).unwrap(), listing);
    assert_eq!(announcer.playlist("1001", 1), playlist);
    let files: Vec<_> = std::fs::read_dir(dir.path().join("voice/vi"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1);
}

#[test]
fn a_recorded_announcement_has_no_gap_longer_than_gap_ms_between_words() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, announcer) = studio(dir.path(), Recorded::Complete);
    // Every word recorded with long silences before and after it.
    record_required(&studio);
    let gap_ms = announcer.settings().gap_ms;
    for (number, counter) in [("1005", 3), ("A105", 12), ("20", 1)] {
        let playlist = announcer.playlist(number, counter);
        assert!(playlist.iter().any(|u| u.contains("?v=")));
        let words: Vec<String> = playlist
            .iter()
            .filter(|u| u.starts_with("/sounds/vi/"))
            .cloned()
            .collect();
        let quiet = longest_quiet_run(&announcer.samples(&words), 0.01);
        assert!(quiet < 0.06, "{number}: {quiet:.3} s between words");
        let all = longest_quiet_run(&announcer.samples(&playlist), 0.001);
        assert!(all <= f64::from(gap_ms) / 1000.0, "{number}: {all:.3} s");
    }
}

#[test]
fn a_pack_moves_the_voice_byte_for_byte_and_preview_uses_it() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let (a, _) = studio(one.path(), Recorded::Each);
    assert!(matches!(a.export(None), Err(VoiceError::NothingRecorded)));
    a.record("vi", "den_quay_so", &take(0.3, 0.8, 0.3, 0.2))
        .unwrap();
    a.record("en", "three", &take(0.3, 0.4, 0.3, 0.2)).unwrap();
    let pack = a.export(None).unwrap();
    let (b, announcer) = studio(two.path(), Recorded::Each);
    b.record("vi", "ba", &take(0.3, 0.4, 0.3, 0.2)).unwrap();
    let done = b.import(&pack).unwrap();
    assert_eq!((done.clips, done.languages.len()), (2, 2));
    for f in ["voice/vi/den_quay_so.wav", "voice/en/three.wav"] {
        assert_eq!(
            std::fs::read(one.path().join(f)).unwrap(),
            std::fs::read(two.path().join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(
        !two.path().join("voice/vi/ba.wav").exists(),
        "the language was replaced"
    );
    assert_eq!(b.export(None).unwrap(), pack);
    // The preview of a call holds the imported clip.
    let (wav, text) = b
        .preview("1005", 3, Some(Lang::Vi), PreviewSource::Current)
        .unwrap();
    assert_eq!(
        text,
        ["Mời công dân có số thứ tự một nghìn không trăm linh năm đến quầy số ba"]
    );
    let rendered = crate::voice::store::pcm_of_wav(&wav).unwrap();
    let clip = crate::voice::store::pcm_of_wav(
        &std::fs::read(two.path().join("voice/vi/den_quay_so.wav")).unwrap(),
    )
    .unwrap();
    let close = |w: &[f32]| {
        w.iter()
            .zip(&clip)
            .all(|(x, y)| (x - y).abs() < 2.0 / 32768.0)
    };
    assert!(rendered.windows(clip.len()).any(close));
    assert!(announcer
        .playlist("1005", 3)
        .iter()
        .any(|u| u.contains("den_quay_so.wav?v=")));
    // A damaged pack changes nothing.
    let listing = serde_json::to_string(&b.list()).unwrap();
    let mut bad = pack.clone();
    let at = bad.len() / 2;
    bad[at] ^= 0xff;
    assert_eq!(b.import(&bad).unwrap_err().code(), "bad_pack");
    assert_eq!(serde_json::to_string(&b.list()).unwrap(), listing);
}
