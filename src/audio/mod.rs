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
//! The [`Announcer`] ties them together and is cheap to clone (an `Arc` inside). Besides the
//! built-in (or `clips_dir`) set it holds the recorded clips in use (the voice studio,
//! `crate::voice`, decides which, and swaps them in with [`Announcer::set_recorded`]); every
//! clone sees the swap at once: the engine's playlists, the device player, `/sounds/…`. A
//! recorded clip's URL carries its version (`/sounds/vi/mot.wav?v=…`), so a board that cached
//! an older take fetches the new one.

pub mod cli;
pub mod clips;
pub mod player;
pub mod playlist;
pub mod render;
pub mod settings;
pub mod words;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use bytes::Bytes;

pub use player::{spawn_player, PlayerHandle};

use clips::{Clip, ClipSet};
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
    /// Recorded clips in use, by path ("vi/mot.wav"): they take the place of `clips`.
    recorded: RwLock<Arc<HashMap<String, Clip>>>,
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
                recorded: RwLock::default(),
            }),
        })
    }

    /// The settings the announcer was made with.
    pub fn settings(&self) -> &AudioSettings {
        &self.inner.settings
    }

    /// Replaces the recorded clips in use (path → clip; the clip's version goes into its URL).
    pub fn set_recorded(&self, clips: HashMap<String, Clip>) {
        let clips = Arc::new(clips);
        match self.inner.recorded.write() {
            Ok(mut slot) => *slot = clips,
            Err(poisoned) => *poisoned.into_inner() = clips,
        }
    }

    fn recorded(&self) -> Arc<HashMap<String, Clip>> {
        match self.inner.recorded.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The clip played for `path` now: the recorded one in use, else the built-in one.
    pub fn current(&self, path: &str) -> Option<Clip> {
        let path = clip_path(path);
        self.recorded()
            .get(path)
            .or_else(|| self.inner.clips.get(path))
            .cloned()
    }

    /// The built-in (or `clips_dir`) clip of `path`, whatever is recorded.
    pub fn builtin(&self, path: &str) -> Option<Clip> {
        self.inner.clips.get(clip_path(path)).cloned()
    }

    /// URLs, in order, of the whole announcement of a call: the chime, then for each repeat
    /// each language's words, with silences (`/sounds/gap/<ms>.wav`) between them. `number`
    /// is the printed ticket number ("1005", "A005"). Every URL is served by [`Announcer::clip`].
    /// A recorded clip's URL carries its version: `/sounds/vi/mot.wav?v=3f2a…`.
    pub fn playlist(&self, number: &str, counter: u32) -> Vec<String> {
        let recorded = self.recorded();
        playlist::compose(&self.inner.settings, number, counter, &|p| {
            recorded.contains_key(p) || self.inner.clips.contains(p)
        })
        .into_iter()
        .map(|p| match recorded.get(&p) {
            Some(clip) => format!("/sounds/{p}?v={}", clip.version),
            None => format!("/sounds/{p}"),
        })
        .collect()
    }

    /// The bytes of a clip (a WAV file) by its URL path after "/sounds/" (e.g. "vi/mot.wav",
    /// "chime.wav", "gap/700.wav"): the recorded one in use, else the built-in one. None for
    /// anything not in the loaded set.
    pub fn clip(&self, path: &str) -> Option<Bytes> {
        self.current(path).map(|c| c.bytes)
    }

    /// The whole announcement of a playlist (URLs or paths) as samples, [`clips::RATE`] Hz
    /// mono; unknown entries are skipped.
    pub fn samples(&self, playlist: &[String]) -> Vec<f32> {
        let recorded = self.recorded();
        render::concat(
            &|p| recorded.get(p).or_else(|| self.inner.clips.get(p)),
            playlist,
        )
    }
}

/// A playlist entry as a clip path: "/sounds/vi/mot.wav?v=…" → "vi/mot.wav".
pub fn clip_path(entry: &str) -> &str {
    let path = entry.strip_prefix("/sounds/").unwrap_or(entry);
    path.split_once('?').map_or(path, |(p, _)| p)
}

#[cfg(test)]
mod device_tests;
