//! Voice announcements of calls: "Mời công dân có số thứ tự một nghìn không trăm linh năm
//! đến quầy số ba", after a chime, in each configured language.
//!
//! - [`words`]: numbers as words (Vietnamese `bac`/`nam`, English), pure.
//! - [`clips`]: the clip set, built into the binary from `sounds/` or a centre's `clips_dir`,
//!   each clip decoded once to one format ([`clips::RATE`] Hz mono) for the player.
//! - [`playlist`]: a call → the ordered clip URLs (`/sounds/vi/mot.wav`, …) that the
//!   `ticket_called` / `ticket_recalled` events carry and boards with `?audio=1` play.
//! - [`render`]: a playlist → samples or a WAV file, without a sound device.
//! - [`player`]: the device player (rodio) on its own OS thread, one announcement at a time.
//! - [`cli`]: `xephang say`.
//!
//! The [`Announcer`] ties them together and is cheap to clone (an `Arc` inside).

pub mod cli;
pub mod clips;
pub mod player;
pub mod playlist;
pub mod render;
pub mod settings;
pub mod words;

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

pub use player::{spawn_player, PlayerHandle};

use clips::ClipSet;
use settings::AudioSettings;

/// What can go wrong with the audio part. Messages are for a centre's IT: they name the setting
/// or the clip to fix.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("audio settings: {0}")]
    Settings(String),
    #[error("missing voice clips in {source_dir}: {}", .names.join(", "))]
    MissingClips {
        /// "built-in sounds/" or the clips_dir.
        source_dir: String,
        /// Paths inside it, e.g. "vi/mot.wav".
        names: Vec<String>,
    },
    #[error("voice clip {name} cannot be decoded as WAV: {reason}")]
    BadClip { name: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing WAV {path}: {source}")]
    Wav { path: PathBuf, source: hound::Error },
    #[error("no sound device could be opened: {0}")]
    NoDevice(String),
}

/// Composes and holds everything an announcement needs: the settings and the decoded clips.
#[derive(Clone)]
pub struct Announcer {
    inner: Arc<Inner>,
}

struct Inner {
    settings: AudioSettings,
    clips: ClipSet,
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcer")
            .field("settings", &self.inner.settings)
            .finish()
    }
}

impl Announcer {
    /// Loads the clip set (built-in or `settings.clips_dir`) and decodes every clip.
    /// Err names every missing clip (or the first that is not a WAV file).
    pub fn new(settings: &AudioSettings) -> Result<Announcer, AudioError> {
        settings.validate().map_err(AudioError::Settings)?;
        let clips = ClipSet::load(settings)?;
        Ok(Announcer {
            inner: Arc::new(Inner {
                settings: settings.clone(),
                clips,
            }),
        })
    }

    /// URLs, in order, of the whole announcement of a call: the chime, then for each repeat
    /// each language's words, with silences (`/sounds/gap/<ms>.wav`) between them. `number`
    /// is the printed ticket number ("1005", "A005"). Every URL is served by [`Announcer::clip`].
    pub fn playlist(&self, number: &str, counter: u32) -> Vec<String> {
        self.paths(number, counter)
            .into_iter()
            .map(|p| format!("/sounds/{p}"))
            .collect()
    }

    /// The playlist as clip paths relative to `/sounds/` ("vi/mot.wav").
    pub(crate) fn paths(&self, number: &str, counter: u32) -> Vec<String> {
        playlist::compose(&self.inner.settings, number, counter, &|p| {
            self.inner.clips.contains(p)
        })
    }

    /// The bytes of a clip (a WAV file) by its URL path after "/sounds/" (e.g. "vi/mot.wav",
    /// "chime.wav", "gap/700.wav"). None for anything not in the loaded set.
    pub fn clip(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        self.inner.clips.bytes(path)
    }

    /// The whole announcement of a playlist (URLs or paths) as samples, [`clips::RATE`] Hz
    /// mono; unknown entries are skipped.
    pub fn samples(&self, playlist: &[String]) -> Vec<f32> {
        render::concat(&self.inner.clips, playlist)
    }
}

#[cfg(test)]
mod device_tests;
