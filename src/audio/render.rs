//! Rendering without a sound device: a playlist → one run of samples, and samples → WAV
//! (mono, [`RATE`] Hz, 16-bit), for `xephang say --out`, for generated silences and for tests.
//!
//! The clips were decoded and converted through rodio sources when the clip set was loaded, so
//! rendering is their concatenation in playlist order; the device player plays the very same
//! samples.

use std::io::Cursor;
use std::path::Path;

use super::clips::{Clip, RATE};
use super::AudioError;

/// The samples of a playlist, in order, each clip found by `clip`. Entries may be URLs
/// ("/sounds/vi/mot.wav", "/sounds/vi/mot.wav?v=…") or paths ("vi/mot.wav"); unknown entries
/// are skipped.
pub fn concat<'a>(clip: &dyn Fn(&str) -> Option<&'a Clip>, playlist: &[String]) -> Vec<f32> {
    let mut out = Vec::new();
    for entry in playlist {
        match clip(super::clip_path(entry)) {
            Some(c) => out.extend_from_slice(&c.pcm),
            None => tracing::debug!("no clip {entry}, skipped"),
        }
    }
    out
}

/// The WAV spec of everything xephang renders.
pub fn spec() -> hound::WavSpec {
    hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    }
}

fn to_i16(s: f32) -> i16 {
    (s.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16
}

/// Samples as the bytes of a WAV file.
pub fn wav_bytes(samples: &[f32]) -> Result<Vec<u8>, hound::Error> {
    let mut cursor = Cursor::new(Vec::new());
    {
        let mut writer = hound::WavWriter::new(&mut cursor, spec())?;
        for s in samples {
            writer.write_sample(to_i16(*s))?;
        }
        writer.finalize()?;
    }
    Ok(cursor.into_inner())
}

/// Writes samples to a WAV file.
pub fn write_wav(path: &Path, samples: &[f32]) -> Result<(), AudioError> {
    let wav_err = |source| AudioError::Wav {
        path: path.to_path_buf(),
        source,
    };
    let mut writer = hound::WavWriter::create(path, spec()).map_err(wav_err)?;
    for s in samples {
        writer.write_sample(to_i16(*s)).map_err(wav_err)?;
    }
    writer.finalize().map_err(wav_err)
}

/// Duration of `n` samples at [`RATE`] (mono), in seconds.
pub fn seconds(n: usize) -> f64 {
    n as f64 / f64::from(RATE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::settings::AudioSettings;
    use crate::audio::Announcer;

    /// Duration of a WAV file from its header, whatever its rate and channels.
    fn wav_seconds(bytes: &[u8]) -> f64 {
        let reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        f64::from(reader.duration()) / f64::from(reader.spec().sample_rate)
    }

    fn check_render(settings: &AudioSettings, number: &str, counter: u32) {
        let announcer = Announcer::new(settings).unwrap();
        let playlist = announcer.playlist(number, counter);
        let expected: f64 = playlist
            .iter()
            .map(|url| {
                let path = url.strip_prefix("/sounds/").unwrap();
                wav_seconds(&announcer.clip(path).unwrap())
            })
            .sum();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("call.wav");
        write_wav(&out, &announcer.samples(&playlist)).unwrap();
        let got = wav_seconds(&std::fs::read(&out).unwrap());
        assert!(
            (got - expected).abs() < 0.050,
            "{number}: rendered {got:.3} s, clips and gaps {expected:.3} s"
        );
        assert!(got > 2.0, "{got}");
    }

    #[test]
    fn rendered_duration_is_clips_plus_gaps() {
        let settings = AudioSettings {
            languages: vec!["vi".into(), "en".into()],
            repeats: 2,
            gap_ms: 900,
            language_gap_ms: 450,
            ..AudioSettings::default()
        };
        check_render(&settings, "1005", 3);
        check_render(&settings, "A012", 27);
        check_render(&AudioSettings::default(), "12345", 60);
    }

    #[test]
    fn clips_of_other_formats_are_converted() {
        // A centre's clip folder whose clips are 44.1 kHz stereo, 8 kHz mono and 48 kHz
        // float: rendering still adds up to their durations.
        let dir = tempfile::tempdir().unwrap();
        let settings = AudioSettings {
            clips_dir: Some(dir.path().to_path_buf()),
            ..AudioSettings::default()
        };
        let (required, _) = crate::audio::clips::needed(&settings);
        let formats = [(44_100, 2, 16), (8_000, 1, 16), (48_000, 1, 32)];
        for (i, path) in required.iter().enumerate() {
            let (rate, channels, bits) = formats[i % formats.len()];
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            let spec = hound::WavSpec {
                channels,
                sample_rate: rate,
                bits_per_sample: bits,
                sample_format: if bits == 32 {
                    hound::SampleFormat::Float
                } else {
                    hound::SampleFormat::Int
                },
            };
            let mut w = hound::WavWriter::create(&file, spec).unwrap();
            let frames = rate as usize * (200 + 37 * i) / 1000;
            for f in 0..frames {
                let v = (f as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 0.5;
                for _ in 0..channels {
                    if bits == 32 {
                        w.write_sample(v).unwrap();
                    } else {
                        w.write_sample(to_i16(v)).unwrap();
                    }
                }
            }
            w.finalize().unwrap();
        }
        check_render(&settings, "1021", 3);
    }

    #[test]
    fn missing_clips_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("vi")).unwrap();
        std::fs::write(
            dir.path().join("chime.wav"),
            wav_bytes(&[0.1; 2000]).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.path().join("vi/mot.wav"), b"not a wav").unwrap();
        let settings = AudioSettings {
            clips_dir: Some(dir.path().to_path_buf()),
            ..AudioSettings::default()
        };
        let err = Announcer::new(&settings).unwrap_err().to_string();
        assert!(
            err.contains("vi/nghin.wav") && err.contains("vi/den_quay_so.wav"),
            "{err}"
        );
        assert!(
            !err.contains("chime.wav") && !err.contains("vi/mot.wav,"),
            "{err}"
        );
        // Once all are there, a broken one is named too.
        let (required, _) = crate::audio::clips::needed(&settings);
        for path in required.iter().filter(|p| *p != "vi/mot.wav") {
            std::fs::write(dir.path().join(path), wav_bytes(&[0.1; 2000]).unwrap()).unwrap();
        }
        let err = Announcer::new(&settings).unwrap_err().to_string();
        assert!(err.contains("vi/mot.wav cannot be decoded"), "{err}");
    }
}
