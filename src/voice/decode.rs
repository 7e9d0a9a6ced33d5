//! What a browser records → mono samples at the recording's own rate.
//!
//! Browsers give the page no choice of format: Chromium's `MediaRecorder` writes WebM
//! (Matroska) with Opus, Firefox Ogg with Opus; a file chosen by hand is usually WAV. The
//! container is read by symphonia (its `mkv`, `ogg` and `wav` readers: the same symphonia 0.5
//! that rodio builds for the built-in clips). Symphonia 0.5 has no Opus decoder, so Opus packets
//! go to libopus through the `opus` crate, with the stream's `OpusHead` (channels, pre-skip,
//! output gain) read here; PCM goes to symphonia's own decoder.
//!
//! Why these crates: symphonia (0.5 and 0.6 alike) has no Opus decoder. Of the bindings to
//! libopus, `symphonia-adapter-libopus` is a young thin wrapper that needs a channel count the
//! 0.5 Matroska reader does not fill in and stops at 60 ms frames; `opus` 0.4 forces a
//! from-source cmake build of libopus (its `opusic-sys` default); `opus` 0.3 (opus-rs, the
//! long-standing safe binding) links the system's libopus found by pkg-config (Debian's
//! `libopus-dev`, security-updated with the distribution) and decodes every frame size. The
//! Matroska reader of symphonia 0.5.5 reads Chromium's live WebM (unknown-size segment and
//! clusters; see the fixture test in `decode_tests.rs`), which the 0.6.0 reader refused
//! (pdeljanov/Symphonia#541), and rodio already builds 0.5.5.
//!
//! Channels are averaged to mono. Frames at full scale in any channel are counted, for the
//! "clipped" check of [`super::process`].

use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL, CODEC_TYPE_OPUS};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader, Track};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::{VoiceError, MAX_INPUT_S};

/// A sample at or above this (absolute) counts as at full scale. Lossy Opus smears a clipped
/// waveform, so this is a little under 1.0.
pub const FULL_SCALE: f32 = 0.98;

/// A decoded recording.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Samples per second.
    pub rate: u32,
    /// The channels averaged, -1.0..1.0 (Opus may overshoot a little).
    pub mono: Vec<f32>,
    /// Frames with a sample at [`FULL_SCALE`] or above, in any channel.
    pub full_scale: usize,
    /// What it was: "WebM/Opus", "Ogg/Opus", "WAV".
    pub format: &'static str,
}

/// The container, by its first bytes.
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        Some(("wav", "WAV"))
    } else if bytes.starts_with(b"OggS") {
        Some(("ogg", "Ogg"))
    } else if bytes.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        Some(("webm", "WebM"))
    } else {
        None
    }
}

/// Decodes a recording. Err `NotAudio` for anything else (or a damaged file), `TooLong` past
/// [`MAX_INPUT_S`].
pub fn decode(bytes: &[u8]) -> Result<Decoded, VoiceError> {
    let Some((ext, container)) = sniff(bytes) else {
        return Err(VoiceError::NotAudio(
            "the file starts like no WAV, WebM or Ogg file".into(),
        ));
    };
    let mut hint = Hint::new();
    hint.with_extension(ext);
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            source,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| VoiceError::NotAudio(format!("{container}: {e}")))?;
    let mut reader = probed.format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .cloned()
        .ok_or_else(|| VoiceError::NotAudio(format!("{container} without an audio track")))?;
    if track.codec_params.codec == CODEC_TYPE_OPUS {
        let format = if ext == "ogg" {
            "Ogg/Opus"
        } else {
            "WebM/Opus"
        };
        decode_opus(reader.as_mut(), &track, format)
    } else {
        let format = match ext {
            "wav" => "WAV",
            "ogg" => "Ogg",
            _ => "WebM",
        };
        decode_symphonia(reader.as_mut(), &track, format)
    }
}

/// Accumulates interleaved frames into mono, counting full-scale frames and the length.
struct Mixer {
    rate: u32,
    mono: Vec<f32>,
    full_scale: usize,
    max_frames: usize,
}

impl Mixer {
    fn new(rate: u32) -> Mixer {
        Mixer {
            rate,
            mono: Vec::new(),
            full_scale: 0,
            max_frames: (MAX_INPUT_S * f64::from(rate)) as usize,
        }
    }

    fn push(&mut self, interleaved: &[f32], channels: usize) -> Result<(), VoiceError> {
        let channels = channels.max(1);
        for frame in interleaved.chunks_exact(channels) {
            let mut sum = 0.0;
            let mut peak: f32 = 0.0;
            for s in frame {
                sum += *s;
                peak = peak.max(s.abs());
            }
            if peak >= FULL_SCALE {
                self.full_scale += 1;
            }
            self.mono.push(sum / channels as f32);
        }
        if self.mono.len() > self.max_frames {
            return Err(VoiceError::TooLong {
                seconds: self.mono.len() as f64 / f64::from(self.rate),
                max: MAX_INPUT_S,
            });
        }
        Ok(())
    }

    fn finish(self, format: &'static str) -> Result<Decoded, VoiceError> {
        if self.mono.is_empty() {
            return Err(VoiceError::NotAudio(format!("{format} holds no sound")));
        }
        Ok(Decoded {
            rate: self.rate,
            mono: self.mono,
            full_scale: self.full_scale,
            format,
        })
    }
}

/// The next packet of `track`; None at the end of the stream.
fn next_packet(
    reader: &mut dyn FormatReader,
    track: u32,
    format: &str,
) -> Result<Option<symphonia::core::formats::Packet>, VoiceError> {
    loop {
        match reader.next_packet() {
            Ok(p) if p.track_id() == track => return Ok(Some(p)),
            Ok(_) => continue,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Ok(None)
            }
            // A recording stopped mid-cluster ends with a torn element: keep what came before.
            Err(SymphoniaError::ResetRequired) => return Ok(None),
            Err(e) => return Err(VoiceError::NotAudio(format!("{format}: {e}"))),
        }
    }
}

/// The fields of an `OpusHead` (RFC 7845 §5.1) that decoding needs.
#[derive(Debug, PartialEq)]
struct OpusHead {
    channels: usize,
    pre_skip: usize,
    /// Output gain, as a factor.
    gain: f32,
}

fn opus_head(extra: Option<&[u8]>) -> Result<OpusHead, VoiceError> {
    let bad = |why: &str| VoiceError::NotAudio(format!("Opus header: {why}"));
    let head = extra.ok_or_else(|| bad("missing"))?;
    if head.len() < 19 || &head[0..8] != b"OpusHead" {
        return Err(bad("not an OpusHead"));
    }
    let channels = usize::from(head[9]);
    let pre_skip = usize::from(u16::from_le_bytes([head[10], head[11]]));
    let gain_q8 = i16::from_le_bytes([head[16], head[17]]);
    let mapping = head[18];
    if !(1..=2).contains(&channels) || mapping != 0 {
        return Err(bad(&format!(
            "{channels} channels (mapping family {mapping}); a recording is mono or stereo"
        )));
    }
    let gain = 10f32.powf(f32::from(gain_q8) / 256.0 / 20.0);
    Ok(OpusHead {
        channels,
        pre_skip,
        gain,
    })
}

fn decode_opus(
    reader: &mut dyn FormatReader,
    track: &Track,
    format: &'static str,
) -> Result<Decoded, VoiceError> {
    let head = opus_head(track.codec_params.extra_data.as_deref())?;
    let layout = if head.channels == 1 {
        opus::Channels::Mono
    } else {
        opus::Channels::Stereo
    };
    let mut decoder = opus::Decoder::new(48_000, layout)
        .map_err(|e| VoiceError::NotAudio(format!("Opus decoder: {e}")))?;
    // 120 ms at 48 kHz is the longest Opus packet.
    let mut buf = vec![0f32; 5760 * head.channels];
    let mut mixer = Mixer::new(48_000);
    let mut skip = head.pre_skip;
    while let Some(packet) = next_packet(reader, track.id, format)? {
        let frames = decoder
            .decode_float(&packet.data, &mut buf, false)
            .map_err(|e| VoiceError::NotAudio(format!("{format}: damaged Opus packet ({e})")))?;
        let mut pcm = &mut buf[..frames * head.channels];
        let dropped = skip.min(frames);
        skip -= dropped;
        pcm = &mut pcm[dropped * head.channels..];
        if head.gain != 1.0 {
            for s in pcm.iter_mut() {
                *s *= head.gain;
            }
        }
        mixer.push(pcm, head.channels)?;
    }
    mixer.finish(format)
}

fn decode_symphonia(
    reader: &mut dyn FormatReader,
    track: &Track,
    format: &'static str,
) -> Result<Decoded, VoiceError> {
    let params = &track.codec_params;
    let rate = params
        .sample_rate
        .filter(|r| *r > 0)
        .ok_or_else(|| VoiceError::NotAudio(format!("{format} without a sample rate")))?;
    let mut decoder = symphonia::default::get_codecs()
        .make(params, &DecoderOptions::default())
        .map_err(|e| VoiceError::NotAudio(format!("{format}: {e}")))?;
    let mut mixer = Mixer::new(rate);
    let mut buf: Option<SampleBuffer<f32>> = None;
    while let Some(packet) = next_packet(reader, track.id, format)? {
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymphoniaError::DecodeError(e)) => {
                return Err(VoiceError::NotAudio(format!("{format}: {e}")))
            }
            Err(e) => return Err(VoiceError::NotAudio(format!("{format}: {e}"))),
        };
        let spec = *decoded.spec();
        let needed = decoded.capacity() as u64;
        let samples = match &mut buf {
            Some(b) if b.capacity() as u64 >= needed * spec.channels.count() as u64 => b,
            slot => slot.insert(SampleBuffer::new(needed, spec)),
        };
        samples.copy_interleaved_ref(decoded);
        mixer.push(samples.samples(), spec.channels.count())?;
    }
    mixer.finish(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(rate: u32, channels: u16, frames: &[Vec<f32>]) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cursor = Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
        for f in frames {
            for s in f {
                w.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16)
                    .unwrap();
            }
        }
        w.finalize().unwrap();
        cursor.into_inner()
    }

    #[test]
    fn stereo_wav_is_averaged_and_full_scale_counted() {
        let frames: Vec<Vec<f32>> = (0..4800)
            .map(|i| {
                let v = if i < 100 { 1.0 } else { 0.5 };
                vec![v, v * 0.5]
            })
            .collect();
        let d = decode(&wav(48_000, 2, &frames)).unwrap();
        assert_eq!((d.rate, d.mono.len(), d.format), (48_000, 4800, "WAV"));
        assert_eq!(d.full_scale, 100);
        assert!((d.mono[200] - 0.375).abs() < 1e-3, "{}", d.mono[200]);
    }

    #[test]
    fn not_audio_and_too_long_are_refused() {
        for bytes in [
            &b"hello, this is text"[..],
            b"",
            b"RIFF\0\0\0\0WAVEjunkjunkjunk",
            b"OggS\0\0garbage",
            &[0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3],
        ] {
            match decode(bytes) {
                Err(VoiceError::NotAudio(_)) => {}
                other => panic!("{bytes:?}: {other:?}"),
            }
        }
        let long = vec![vec![0.1f32]; 8000 * 31];
        match decode(&wav(8000, 1, &long)) {
            Err(VoiceError::TooLong { seconds, .. }) => assert!(seconds > 30.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn opus_head_fields() {
        let mut head = b"OpusHead".to_vec();
        head.extend([1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0x00, 0x06, 0]);
        let h = opus_head(Some(&head)).unwrap();
        assert_eq!((h.channels, h.pre_skip), (2, 312));
        assert!((h.gain - 10f32.powf(6.0 / 20.0)).abs() < 1e-4);
        head[9] = 6;
        assert!(opus_head(Some(&head)).is_err());
        assert!(opus_head(None).is_err());
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod opus_tests;
