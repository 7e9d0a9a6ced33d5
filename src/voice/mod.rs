//! The voice studio: a centre records its own announcer in the browser (`/voice`), clip by
//! clip, and every announcement then uses the human voice instead of the built-in espeak-ng
//! one (issue 17).
//!
//! - [`decode`]: what a browser records (WebM/Opus from Chromium, Ogg/Opus from Firefox, or
//!   WAV) → mono samples at the recording's rate (symphonia demuxes, libopus decodes Opus).
//! - [`resample`]: → the player's rate ([`crate::audio::clips::RATE`]).
//! - [`loudness`]: EBU R128 loudness (the `ebur128` crate) and the target, [`TARGET_LUFS`],
//!   which is the loudness of the built-in clips.
//! - [`process`]: one recording → one clip: checked (not silent, not clipped, not too long),
//!   trimmed of silence, brought to the target loudness, faded at its edges, 16-bit WAV.
//! - [`catalog`]: which clips each language needs, with the words to read.
//! - [`store`]: the clips on disk, `DATA/voice/<lang>/<clip>.wav`, written atomically.
//! - [`pack`]: a voice pack (one tar archive with a manifest of every clip and its SHA-256).
//! - [`studio`]: the live state: what is recorded, which recorded clips are in use
//!   (`audio.recorded`: each as soon as it exists, or a language once complete), swapped into
//!   the [`crate::audio::Announcer`] so that the device player and boards use them.
//! - [`cli`]: `xephang voice export|import`.

pub mod catalog;
pub mod cli;
pub mod decode;
pub mod loudness;
pub mod pack;
pub mod process;
pub mod resample;
pub mod store;
pub mod studio;

use std::path::PathBuf;

pub use loudness::TARGET_LUFS;
pub use studio::Studio;

/// Longest recording accepted, before trimming, in seconds.
pub const MAX_INPUT_S: f64 = 30.0;
/// Longest clip after trimming, in seconds: a clip is one word or one phrase.
pub const MAX_CLIP_S: f64 = 10.0;
/// Shortest clip after trimming, in seconds.
pub const MIN_CLIP_S: f64 = 0.08;
/// Largest upload of one recording, in bytes (30 s of 48 kHz stereo 16-bit WAV fits).
pub const MAX_UPLOAD: usize = 8 * 1024 * 1024;
/// Largest voice pack, in bytes.
pub const MAX_PACK: usize = 64 * 1024 * 1024;

/// What can go wrong with a recording, a pack or the clip files. Each has a stable code for the
/// API and a message in Vietnamese and English that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("not a recording xephang can read (WAV, WebM/Opus or Ogg/Opus): {0}")]
    NotAudio(String),
    #[error("the recording is {seconds:.1} s long; at most {max:.0} s")]
    TooLong { seconds: f64, max: f64 },
    #[error("the recording is silent (loudest part {peak_db:.0} dBFS)")]
    Silent { peak_db: f64 },
    #[error("the recording holds only {seconds:.2} s of sound; say the whole word")]
    TooShort { seconds: f64 },
    #[error("the recording is clipped ({percent:.1}% of its loud samples at full scale)")]
    Clipped { percent: f64 },
    #[error("no clip {lang}/{clip}")]
    UnknownClip { lang: String, clip: String },
    #[error("not a valid voice pack: {0}")]
    BadPack(String),
    #[error("no recorded clip to export")]
    NothingRecorded,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl VoiceError {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            VoiceError::NotAudio(_) => "not_audio",
            VoiceError::TooLong { .. } => "audio_too_long",
            VoiceError::Silent { .. } => "audio_silent",
            VoiceError::TooShort { .. } => "audio_too_short",
            VoiceError::Clipped { .. } => "audio_clipped",
            VoiceError::UnknownClip { .. } => "unknown_clip",
            VoiceError::BadPack(_) => "bad_pack",
            VoiceError::NothingRecorded => "nothing_recorded",
            VoiceError::Io { .. } => "unavailable",
        }
    }

    /// The message in Vietnamese, for the supervisor at the microphone.
    pub fn vietnamese(&self) -> String {
        match self {
            VoiceError::NotAudio(why) => format!(
                "Không đọc được bản ghi âm (chỉ nhận WAV, WebM/Opus hoặc Ogg/Opus): {why}. Không có gì thay đổi."
            ),
            VoiceError::TooLong { seconds, max } => format!(
                "Bản ghi dài {} giây; tối đa {max:.0} giây cho một từ hoặc một câu. Hãy ghi lại.",
                vi_decimal(*seconds, 1)
            ),
            VoiceError::Silent { .. } => "Bản ghi không có tiếng (micrô tắt hoặc quá nhỏ). Hãy kiểm tra micrô rồi ghi lại.".to_string(),
            VoiceError::TooShort { seconds } => format!(
                "Bản ghi chỉ có {} giây tiếng nói; hãy đọc trọn từ rồi mới dừng.",
                vi_decimal(*seconds, 2)
            ),
            VoiceError::Clipped { .. } => "Bản ghi bị rè vì quá to (vượt ngưỡng). Hãy để micrô xa miệng hơn hoặc nói nhỏ hơn rồi ghi lại.".to_string(),
            VoiceError::UnknownClip { lang, clip } => {
                format!("Không có đoạn âm thanh {lang}/{clip}.")
            }
            VoiceError::BadPack(why) => {
                format!("Gói giọng đọc không hợp lệ: {why}. Không có gì thay đổi.")
            }
            VoiceError::NothingRecorded => {
                "Chưa có đoạn nào được ghi âm để xuất.".to_string()
            }
            VoiceError::Io { path, source } => format!(
                "Không ghi/đọc được tệp giọng đọc {}: {source}. Không có gì thay đổi.",
                path.display()
            ),
        }
    }

    /// The message in English.
    pub fn english(&self) -> String {
        match self {
            VoiceError::Silent { .. } => {
                "The recording is silent (microphone off or far too quiet). Check the microphone and record again.".to_string()
            }
            VoiceError::Clipped { .. } => {
                "The recording is distorted: too loud for the microphone. Hold it further away or speak more softly, and record again.".to_string()
            }
            VoiceError::NotAudio(_) | VoiceError::BadPack(_) | VoiceError::Io { .. } => {
                format!("{self}. Nothing was changed.")
            }
            other => {
                let text = other.to_string();
                let mut chars = text.chars();
                match chars.next() {
                    Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
                    None => text,
                }
            }
        }
    }
}

/// A number written the Vietnamese way, with a decimal comma ("1,5").
fn vi_decimal(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}").replace('.', ",")
}

/// An I/O error with the path it concerns.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> VoiceError {
    let path = path.into();
    move |source| VoiceError::Io { path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do_in_both_languages() {
        let e = VoiceError::TooLong {
            seconds: 12.34,
            max: 10.0,
        };
        assert_eq!(e.code(), "audio_too_long");
        assert!(e.vietnamese().contains("12,3 giây"), "{}", e.vietnamese());
        assert_eq!(e.english(), "The recording is 12.3 s long; at most 10 s.");
        let e = VoiceError::Silent { peak_db: -80.0 };
        assert!(e.vietnamese().contains("micrô") && e.english().contains("microphone"));
        let e = VoiceError::BadPack("x.wav is damaged".into());
        assert!(e.english().ends_with("Nothing was changed."));
        assert!(e.vietnamese().contains("Không có gì thay đổi"));
    }
}
