//! One recording → one clip, the way `sounds/make.sh` makes the built-in ones: checked, trimmed
//! of leading and trailing silence, brought to [`TARGET_LUFS`], faded at its edges, and written
//! as mono 16-bit WAV at the player's rate.
//!
//! - **Checks** (each refuses the recording, nothing is stored): not audio / too long
//!   ([`super::decode`]); silent (the loudest 10 ms is under -50 dBFS); too short (under
//!   [`MIN_CLIP_S`] of sound); longer than [`MAX_CLIP_S`] once trimmed; clipped (more than 1%
//!   of its loud samples at full scale: the microphone was overdriven, and no gain undoes that).
//! - **Trim**: the level of each 10 ms is compared with a threshold 35 dB under the loudest
//!   10 ms, raised above the room's noise floor (the quietest tenth of the recording) when that
//!   is higher; the clip runs from 20 ms before the first 10 ms over it to 20 ms after the last.
//!   Words are played back to back, so what is left around a word is the only pause between
//!   words: at most 40 ms, far under `audio.gap_ms`.
//! - **Loudness**: one gain brings the clip to [`TARGET_LUFS`] (EBU R128, [`super::loudness`]);
//!   a look-ahead peak limiter then keeps peaks under -1 dBFS, and the gain is raised again
//!   for what the limiter took (a few rounds at most).
//! - **Fades**: 5 ms raised-cosine fade-in and fade-out, so that words joined end to end do
//!   not click.

use crate::audio::clips::RATE;

use super::decode::{decode, Decoded};
use super::loudness::{integrated, TARGET_LUFS};
use super::resample::resample;
use super::{VoiceError, MAX_CLIP_S, MIN_CLIP_S};

/// A 10 ms analysis frame at [`RATE`].
const FRAME: usize = RATE as usize / 100;
/// Under this (RMS of the loudest 10 ms, dBFS) a recording is silent.
const SILENT_DB: f64 = -50.0;
/// The trim threshold under the loudest 10 ms.
const TRIM_BELOW_PEAK_DB: f64 = 35.0;
/// Kept before the first and after the last 10 ms of sound.
const MARGIN: usize = 2 * FRAME;
/// Peak ceiling of the limiter (-1 dBFS).
const CEILING: f32 = 0.891;
/// Fade length at each edge (5 ms).
const FADE: usize = RATE as usize / 200;
/// Share of loud samples at full scale above which a recording is clipped.
const CLIPPED_SHARE: f64 = 0.01;

/// What processing did, for the page and the logs.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Report {
    /// "WebM/Opus", "Ogg/Opus", "WAV".
    #[schema(value_type = String)]
    pub source: &'static str,
    /// Length of the recording as received, seconds.
    pub input_s: f64,
    /// Length of the clip, seconds.
    pub duration_s: f64,
    /// Silence cut at the start and at the end, seconds.
    pub trimmed_start_s: f64,
    pub trimmed_end_s: f64,
    /// Loudness of the recording's sound before, and of the clip after, LUFS.
    pub input_lufs: f64,
    pub loudness_lufs: Option<f64>,
    /// The gain applied (before limiting), dB.
    pub gain_db: f64,
    /// Highest sample of the clip, dBFS.
    pub peak_dbfs: f64,
}

/// A processed clip.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The clip as stored and served: mono 16-bit WAV at [`RATE`].
    pub wav: Vec<u8>,
    pub report: Report,
}

/// Decodes and processes a recording.
pub fn process(bytes: &[u8]) -> Result<Processed, VoiceError> {
    process_decoded(decode(bytes)?)
}

/// Processes decoded samples (see the module doc).
pub fn process_decoded(decoded: Decoded) -> Result<Processed, VoiceError> {
    let loud = decoded.mono.iter().filter(|s| s.abs() >= 0.1).count();
    if decoded.full_scale >= 10 && decoded.full_scale as f64 > CLIPPED_SHARE * loud as f64 {
        return Err(VoiceError::Clipped {
            percent: 100.0 * decoded.full_scale as f64 / loud.max(1) as f64,
        });
    }
    let input_s = decoded.mono.len() as f64 / f64::from(decoded.rate);
    let samples = resample(&decoded.mono, decoded.rate, RATE);
    let (start, end) = speech_bounds(&samples)?;
    let mut clip = samples[start..end].to_vec();
    let duration_s = secs(clip.len());
    if duration_s > MAX_CLIP_S {
        return Err(VoiceError::TooLong {
            seconds: duration_s,
            max: MAX_CLIP_S,
        });
    }
    let input_lufs = integrated(&clip, RATE).ok_or(VoiceError::Silent {
        peak_db: f64::NEG_INFINITY,
    })?;
    let gain_db = TARGET_LUFS - input_lufs;
    scale(&mut clip, gain_db);
    for _ in 0..4 {
        limit(&mut clip, CEILING);
        let now = integrated(&clip, RATE).unwrap_or(TARGET_LUFS);
        if now > TARGET_LUFS - 0.3 {
            break;
        }
        scale(&mut clip, TARGET_LUFS - now);
    }
    limit(&mut clip, CEILING);
    fade(&mut clip);
    let wav = crate::audio::render::wav_bytes(&clip)
        .map_err(|e| VoiceError::NotAudio(format!("cannot write the clip: {e}")))?;
    let stored = super::store::pcm_of_wav(&wav)?;
    let peak = stored.iter().fold(0f32, |m, s| m.max(s.abs()));
    let report = Report {
        source: decoded.format,
        input_s,
        duration_s,
        trimmed_start_s: secs(start),
        trimmed_end_s: secs(samples.len() - end),
        input_lufs,
        loudness_lufs: integrated(&stored, RATE),
        gain_db,
        peak_dbfs: db(f64::from(peak)),
    };
    Ok(Processed { wav, report })
}

fn secs(samples: usize) -> f64 {
    samples as f64 / f64::from(RATE)
}

fn db(amplitude: f64) -> f64 {
    20.0 * amplitude.max(1e-10).log10()
}

/// RMS level of each 10 ms frame, dBFS.
fn frame_levels(samples: &[f32]) -> Vec<f64> {
    samples
        .chunks(FRAME)
        .map(|f| {
            let p = f.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / f.len() as f64;
            10.0 * p.max(1e-20).log10()
        })
        .collect()
}

/// The sample range of the sound in a recording (see the module doc).
fn speech_bounds(samples: &[f32]) -> Result<(usize, usize), VoiceError> {
    let levels = frame_levels(samples);
    let peak = levels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if levels.is_empty() || peak < SILENT_DB {
        return Err(VoiceError::Silent { peak_db: peak });
    }
    let mut sorted = levels.clone();
    sorted.sort_by(f64::total_cmp);
    let noise = sorted[sorted.len() / 10];
    let threshold = (peak - TRIM_BELOW_PEAK_DB).max((noise + 6.0).min(peak - 15.0));
    let first = levels.iter().position(|l| *l >= threshold).unwrap_or(0);
    let last = levels.iter().rposition(|l| *l >= threshold).unwrap_or(0);
    let start = (first * FRAME).saturating_sub(MARGIN);
    let end = ((last + 1) * FRAME + MARGIN).min(samples.len());
    let seconds = secs(((last + 1 - first) * FRAME).min(samples.len()));
    if seconds < MIN_CLIP_S {
        return Err(VoiceError::TooShort { seconds });
    }
    Ok((start, end))
}

fn scale(samples: &mut [f32], gain_db: f64) {
    let g = 10f64.powf(gain_db / 20.0) as f32;
    for s in samples {
        *s *= g;
    }
}

/// Look-ahead peak limiter: the gain each sample needs to stay under `ceiling`, taken as the
/// minimum over ±2 ms and then averaged over ±2 ms, so that it is already down when a peak
/// comes and never jumps (the average of minima around a peak is at most what the peak needs).
fn limit(samples: &mut [f32], ceiling: f32) {
    if !samples.iter().any(|s| s.abs() > ceiling) {
        return;
    }
    let w = RATE as usize / 500;
    let need: Vec<f32> = samples
        .iter()
        .map(|s| {
            if s.abs() > ceiling {
                ceiling / s.abs()
            } else {
                1.0
            }
        })
        .collect();
    let n = need.len();
    let window = |i: usize| (i.saturating_sub(w), (i + w + 1).min(n));
    let minima: Vec<f32> = (0..n)
        .map(|i| {
            let (a, b) = window(i);
            need[a..b].iter().copied().fold(1.0, f32::min)
        })
        .collect();
    for (i, s) in samples.iter_mut().enumerate() {
        let (a, b) = window(i);
        let g = minima[a..b].iter().sum::<f32>() / (b - a) as f32;
        // The average covers a shorter span at the edges: never let a peak through there.
        *s *= g.min(need[i]);
    }
}

/// Raised-cosine fades over [`FADE`] samples at both ends.
fn fade(samples: &mut [f32]) {
    let n = FADE.min(samples.len() / 2);
    for i in 0..n {
        let g = 0.5 - 0.5 * (std::f32::consts::PI * i as f32 / n as f32).cos();
        samples[i] *= g;
        let j = samples.len() - 1 - i;
        samples[j] *= g;
    }
}

#[cfg(test)]
#[path = "process_tests.rs"]
pub(crate) mod tests;
