//! Sample-rate conversion of a recording to the player's rate: band-limited interpolation
//! with a Blackman-windowed sinc (16 zero crossings each side), its cut-off below the lower
//! Nyquist frequency, so that a 48 kHz recording brought to 22.05 kHz does not fold its
//! upper band back into the voice. The kernel is tabulated once per call.

use std::f64::consts::PI;

/// Zero crossings of the kernel on each side.
const ZEROS: usize = 16;
/// Table points per zero crossing.
const STEPS: usize = 256;

/// `input` at `from` Hz → the same sound at `to` Hz.
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || input.is_empty() || from == 0 || to == 0 {
        return input.to_vec();
    }
    let ratio = f64::from(to) / f64::from(from);
    // Cut-off as a fraction of the input's Nyquist frequency (a little under the output's).
    let cutoff = ratio.min(1.0) * 0.94;
    let table = kernel_table();
    // Kernel half-width in input samples.
    let half = ZEROS as f64 / cutoff;
    let out_len = (input.len() as f64 * ratio).round() as usize;
    let mut out = Vec::with_capacity(out_len);
    for n in 0..out_len {
        let centre = n as f64 / ratio;
        let first = (centre - half).ceil().max(0.0) as usize;
        let last = ((centre + half).floor() as usize).min(input.len() - 1);
        let mut acc = 0.0f64;
        for (k, x) in input.iter().enumerate().take(last + 1).skip(first) {
            let t = (k as f64 - centre).abs() * cutoff;
            acc += f64::from(*x) * lookup(&table, t);
        }
        out.push((acc * cutoff) as f32);
    }
    out
}

/// The windowed sinc at 0..=ZEROS zero crossings, STEPS points per crossing.
fn kernel_table() -> Vec<f64> {
    (0..=ZEROS * STEPS + 1)
        .map(|i| {
            let t = i as f64 / STEPS as f64;
            let sinc = if t == 0.0 {
                1.0
            } else {
                (PI * t).sin() / (PI * t)
            };
            // Blackman window over -ZEROS..ZEROS.
            let w = 0.5 + 0.5 * t / ZEROS as f64;
            let window = if t >= ZEROS as f64 {
                0.0
            } else {
                0.42 - 0.5 * (2.0 * PI * w).cos() + 0.08 * (4.0 * PI * w).cos()
            };
            sinc * window
        })
        .collect()
}

/// The kernel at `t` zero crossings from its centre (linear between table points).
fn lookup(table: &[f64], t: f64) -> f64 {
    let pos = t * STEPS as f64;
    let i = pos as usize;
    if i + 1 >= table.len() {
        return 0.0;
    }
    let frac = pos - i as f64;
    table[i] * (1.0 - frac) + table[i + 1] * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, secs: f64) -> Vec<f32> {
        (0..(f64::from(rate) * secs) as usize)
            .map(|i| (2.0 * PI * freq * i as f64 / f64::from(rate)).sin() as f32 * 0.5)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn a_tone_keeps_its_pitch_and_level_and_the_length_scales() {
        let x = sine(440.0, 48_000, 1.0);
        let y = resample(&x, 48_000, 22_050);
        assert_eq!(y.len(), 22_050);
        // Inside (away from the edges) the level is kept.
        let inner = &y[1000..21_000];
        assert!(
            (rms(inner) - 0.5 / 2f64.sqrt()).abs() < 0.01,
            "{}",
            rms(inner)
        );
        // And so is the pitch: count zero crossings.
        let crossings = inner
            .windows(2)
            .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
            .count();
        let expected = 440.0 * inner.len() as f64 / 22_050.0;
        assert!(
            (crossings as f64 - expected).abs() <= 2.0,
            "{crossings} vs {expected}"
        );
        // Upsampling too.
        let z = resample(&sine(440.0, 8_000, 0.5), 8_000, 22_050);
        assert_eq!(z.len(), 11_025);
        assert!((rms(&z[500..10_500]) - 0.354).abs() < 0.01);
    }

    #[test]
    fn what_the_output_cannot_hold_is_filtered_not_folded() {
        // 15 kHz at 48 kHz would fold to 7.05 kHz at 22.05 kHz.
        let y = resample(&sine(15_000.0, 48_000, 0.5), 48_000, 22_050);
        assert!(rms(&y[500..10_000]) < 0.005, "{}", rms(&y[500..10_000]));
        assert_eq!(resample(&[0.1, 0.2], 22_050, 22_050), vec![0.1, 0.2]);
    }
}
