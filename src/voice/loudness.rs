//! Loudness by EBU R128 / ITU-R BS.1770 (K-weighting, 400 ms blocks, gating), measured with
//! the `ebur128` crate, and the target every recorded clip is brought to.
//!
//! The target is the loudness of the built-in clips: `sounds/make.sh` levels each espeak-ng
//! clip to -18 dBFS RMS, which measures -18.25 LUFS as the median of the 107 word and phrase
//! clips (-20.2 to -16.3); see the test below, which keeps the two in step. A recorded voice
//! at the same loudness sounds as loud as the built-in one it replaces, and words recorded at
//! different moments sound equally loud next to each other.
//!
//! A single word is often shorter than one 400 ms gating block, for which BS.1770 has no
//! integrated loudness. Such a clip is measured repeated end to end to fill the blocks: the
//! mean K-weighted power of its sound, which is what integrated loudness gives for a longer one.

use ebur128::{EbuR128, Mode};

/// The loudness of every clip (built-in and recorded), in LUFS.
pub const TARGET_LUFS: f64 = -18.0;

/// A clip at least this long (seconds) is measured as it is; a shorter one repeated.
const DIRECT_S: f64 = 1.0;

/// Integrated loudness of mono samples at `rate`, in LUFS; None for digital silence (or
/// nothing to measure).
pub fn integrated(samples: &[f32], rate: u32) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let direct = samples.len() as f64 >= DIRECT_S * f64::from(rate);
    let mut meter = EbuR128::new(1, rate, Mode::I).ok()?;
    if direct {
        meter.add_frames_f32(samples).ok()?;
    } else {
        let want = (2.0 * DIRECT_S * f64::from(rate)) as usize;
        let mut fed = 0;
        while fed < want {
            meter.add_frames_f32(samples).ok()?;
            fed += samples.len();
        }
    }
    let l = meter.loudness_global().ok()?;
    l.is_finite().then_some(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::clips::catalogue;

    #[test]
    fn a_full_scale_1khz_sine_reads_minus_3_lufs() {
        // BS.1770's calibration: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS.
        let rate = 48_000;
        let x: Vec<f32> = (0..rate * 3)
            .map(|i| (2.0 * std::f32::consts::PI * 997.0 * i as f32 / rate as f32).sin())
            .collect();
        let l = integrated(&x, rate).unwrap();
        assert!((l + 3.01).abs() < 0.1, "{l}");
        // A short burst repeated reads like a long one.
        let short = integrated(&x[..rate as usize / 4], rate).unwrap();
        assert!((short - l).abs() < 0.2, "{short} vs {l}");
        assert_eq!(integrated(&[0.0; 30_000], rate), None);
        assert_eq!(integrated(&[], rate), None);
    }

    #[test]
    fn the_target_is_the_loudness_of_the_built_in_clips() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sounds");
        let mut levels = Vec::new();
        for (lang, name, _) in catalogue() {
            let mut r = hound::WavReader::open(dir.join(format!("{lang}/{name}.wav"))).unwrap();
            let rate = r.spec().sample_rate;
            let s: Vec<f32> = r
                .samples::<i16>()
                .map(|x| f32::from(x.unwrap()) / 32768.0)
                .collect();
            levels.push(integrated(&s, rate).unwrap());
        }
        levels.sort_by(f64::total_cmp);
        let median = levels[levels.len() / 2];
        assert!(
            (median - TARGET_LUFS).abs() < 0.5,
            "built-in clips: median {median:.2} LUFS, target {TARGET_LUFS}"
        );
        assert!(levels[0] > TARGET_LUFS - 3.0 && levels[levels.len() - 1] < TARGET_LUFS + 3.0);
    }
}
