//! Tests of [`super::process`] with synthetic recordings: a "word" is a voiced tone burst
//! (220 Hz with harmonics, syllable-rate amplitude modulation, 20 ms ramps) between silences,
//! optionally over room noise.

use super::*;
use crate::voice::decode::Decoded;
use crate::voice::store::pcm_of_wav;

/// Deterministic noise in -1..1.
fn noise(seed: &mut u64) -> f32 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 33) as f32 / (1u64 << 31) as f32) - 1.0
}

/// `before` s of silence, `word` s of sound at `level` (peak-ish amplitude), `after` s of
/// silence, at `rate`, over noise of amplitude `floor`.
pub fn recording(
    rate: u32,
    before: f64,
    word: f64,
    after: f64,
    level: f32,
    floor: f32,
) -> Vec<f32> {
    let mut seed = 7;
    let n = |s: f64| (s * f64::from(rate)) as usize;
    let mut out = Vec::new();
    for _ in 0..n(before) {
        out.push(floor * noise(&mut seed));
    }
    let m = n(word);
    for i in 0..m {
        let t = i as f32 / rate as f32;
        let ramp = (t / 0.02).min((word as f32 - t) / 0.02).min(1.0);
        let am = 0.6 + 0.4 * (2.0 * std::f32::consts::PI * 4.0 * t).sin();
        let w = 2.0 * std::f32::consts::PI * 220.0 * t;
        let v = w.sin() + 0.5 * (2.0 * w).sin() + 0.25 * (3.0 * w).sin();
        out.push(level / 1.75 * ramp * am * v + floor * noise(&mut seed));
    }
    for _ in 0..n(after) {
        out.push(floor * noise(&mut seed));
    }
    out
}

fn decoded(rate: u32, mono: Vec<f32>) -> Decoded {
    let full_scale = mono.iter().filter(|s| s.abs() >= 0.98).count();
    Decoded {
        rate,
        mono,
        full_scale,
        format: "WAV",
    }
}

fn clip_of(p: &Processed) -> Vec<f32> {
    pcm_of_wav(&p.wav).unwrap()
}

#[test]
fn a_word_between_silences_is_trimmed_levelled_and_faded() {
    for (rate, level, floor) in [
        (48_000, 0.3, 0.0),
        (44_100, 0.02, 0.0005),
        (16_000, 0.7, 0.003),
    ] {
        let rec = recording(rate, 0.8, 1.2, 0.8, level, floor);
        let p = process_decoded(decoded(rate, rec)).unwrap();
        let clip = clip_of(&p);
        let secs = clip.len() as f64 / f64::from(RATE);
        assert!((secs - 1.2).abs() < 0.1, "{rate} Hz: {secs:.3} s");
        let lufs = integrated(&clip, RATE).unwrap();
        assert!(
            (lufs - TARGET_LUFS).abs() < 0.5,
            "{rate} Hz level {level}: {lufs:.2} LUFS"
        );
        assert!(p.report.peak_dbfs <= -0.9, "{:?}", p.report);
        assert!(
            (p.report.trimmed_start_s - 0.8).abs() < 0.06,
            "{:?}",
            p.report
        );
        // Faded: the first and last samples are (nearly) silent, and ramp up.
        assert!(clip[0].abs() < 1e-3 && clip[clip.len() - 1].abs() < 1e-3);
        let head = clip[..FADE].iter().fold(0f32, |m, s| m.max(s.abs()));
        let body = clip.iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!(head < body, "{head} {body}");
    }
}

#[test]
fn a_peaky_recording_is_limited_and_still_reaches_the_target() {
    // A soft word with a few loud clicks: the gain would push the clicks over full scale.
    let mut rec = recording(48_000, 0.3, 1.0, 0.3, 0.01, 0.0);
    for k in 0..5 {
        rec[20_000 + k * 4000] = 0.9;
    }
    let p = process_decoded(decoded(48_000, rec)).unwrap();
    let clip = clip_of(&p);
    assert!(clip.iter().all(|s| s.abs() <= 0.9), "limited");
    let lufs = integrated(&clip, RATE).unwrap();
    assert!((lufs - TARGET_LUFS).abs() < 0.6, "{lufs}");
}

#[test]
fn bad_recordings_are_refused() {
    let silent = vec![0.0f32; 48_000];
    assert!(matches!(
        process_decoded(decoded(48_000, silent)),
        Err(VoiceError::Silent { .. })
    ));
    let hiss = recording(48_000, 1.0, 0.0, 1.0, 0.0, 0.002);
    assert!(matches!(
        process_decoded(decoded(48_000, hiss)),
        Err(VoiceError::Silent { .. })
    ));
    let click = recording(48_000, 0.5, 0.03, 0.5, 0.5, 0.0);
    assert!(matches!(
        process_decoded(decoded(48_000, click)),
        Err(VoiceError::TooShort { .. })
    ));
    let long = recording(16_000, 0.2, 11.0, 0.2, 0.3, 0.0);
    assert!(matches!(
        process_decoded(decoded(16_000, long)),
        Err(VoiceError::TooLong { .. })
    ));
    let clipped: Vec<f32> = recording(48_000, 0.3, 1.0, 0.3, 3.0, 0.0)
        .into_iter()
        .map(|s| s.clamp(-1.0, 1.0))
        .collect();
    match process_decoded(decoded(48_000, clipped)) {
        Err(VoiceError::Clipped { percent }) => assert!(percent > 10.0, "{percent}"),
        other => panic!("{other:?}"),
    }
    // A loud but clean one passes.
    assert!(process_decoded(decoded(48_000, recording(48_000, 0.3, 1.0, 0.3, 0.95, 0.0))).is_ok());
}

#[test]
fn noise_is_left_out_of_the_clip() {
    // Room noise at about -50 dBFS around a word at about -15 dBFS.
    let rec = recording(48_000, 1.5, 0.6, 1.5, 0.3, 0.004);
    let p = process_decoded(decoded(48_000, rec)).unwrap();
    let secs = clip_of(&p).len() as f64 / f64::from(RATE);
    assert!((secs - 0.6).abs() < 0.1, "{secs}");
}

#[test]
fn words_join_without_a_gap() {
    // Two words recorded with long silences around them, played back to back: the pause
    // between them is what trimming left, under 60 ms.
    let a = clip_of(
        &process_decoded(decoded(
            48_000,
            recording(48_000, 0.7, 0.4, 0.9, 0.3, 0.001),
        ))
        .unwrap(),
    );
    let b = clip_of(
        &process_decoded(decoded(
            48_000,
            recording(48_000, 0.5, 0.5, 0.6, 0.1, 0.001),
        ))
        .unwrap(),
    );
    let joined: Vec<f32> = a.iter().chain(&b).copied().collect();
    let quiet = longest_quiet_run(&joined, 0.01);
    assert!(quiet < 0.06, "{quiet:.3} s of silence between the words");
}

/// Longest run of samples under `level`, in seconds, inside the sound (edges excluded).
pub fn longest_quiet_run(x: &[f32], level: f32) -> f64 {
    let first = x.iter().position(|s| s.abs() >= level).unwrap_or(0);
    let last = x.iter().rposition(|s| s.abs() >= level).unwrap_or(0);
    let (mut best, mut run) = (0usize, 0usize);
    for s in &x[first..=last] {
        // A tone crosses zero every few samples: count only runs longer than a period.
        if s.abs() < level {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best as f64 / f64::from(RATE)
}
