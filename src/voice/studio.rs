//! The live voice studio: the recorded clips (from [`Store`]), which of them are in use, and the
//! operations of the `/voice` page and the CLI.
//!
//! Which recorded clips are in use follows `audio.recorded`: `each` uses every recorded clip as
//! soon as it is saved; `complete` uses a language's recorded clips only once every clip the
//! language requires is recorded (a half-recorded language is announced entirely by the
//! built-in voice). After every change the clips in use are swapped into the
//! [`Announcer`] (one `Arc` swap), so the next call's playlist, the device player and the
//! `/sounds/…` URLs all use them, and a recorded clip's URL carries its version.
//!
//! Methods that touch the disk or process audio block: call them from a blocking thread.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;

use crate::audio::clips::{Clip, RATE};
use crate::audio::settings::{AudioSettings, Recorded};
use crate::audio::words::Lang;
use crate::audio::Announcer;

use super::catalog::{self, ClipInfo, LANGS};
use super::loudness::integrated;
use super::process::{process, Report};
use super::store::{Store, Stored};
use super::{pack, VoiceError, TARGET_LUFS};

/// A stored clip with what the page shows of it.
#[derive(Clone)]
struct Entry {
    stored: Stored,
    loudness: Option<f64>,
}

impl Entry {
    fn new(stored: Stored) -> Entry {
        let loudness = integrated(&stored.pcm, RATE);
        Entry { stored, loudness }
    }

    /// The version in URLs: the first 16 hex digits of its SHA-256.
    fn version(&self) -> String {
        self.stored.sha256[..16].to_string()
    }
}

/// The voice studio of a running daemon (or of the CLI, with a private announcer).
pub struct Studio {
    store: Store,
    announcer: Announcer,
    letters_used: BTreeSet<String>,
    centre: String,
    /// Recorded clips by path ("vi/mot.wav"); locked only to read or swap the map, never
    /// during disk I/O, so that readers on async workers never wait for a disk.
    clips: Mutex<BTreeMap<String, Entry>>,
    /// Held by a change from its first disk write to its map update: changes one at a time.
    writing: Mutex<()>,
}

/// One clip as `GET /api/v1/voice` lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClipState {
    #[schema(value_type = String)]
    pub lang: &'static str,
    pub clip: String,
    /// What to read, with diacritics.
    pub text: String,
    pub required: bool,
    /// "recorded" or "builtin".
    #[schema(value_type = String)]
    pub state: &'static str,
    /// Whether announcements use the recorded clip now.
    pub in_use: bool,
    /// Whether there is a built-in clip to fall back on.
    pub builtin: bool,
    /// The URL announcements use for this clip now (with `?v=` when recorded and in use).
    pub url: String,
    pub version: Option<String>,
    pub duration_s: Option<f64>,
    pub loudness_lufs: Option<f64>,
    pub recorded_at: Option<String>,
}

/// One language as `GET /api/v1/voice` lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LangState {
    #[schema(value_type = String)]
    pub lang: &'static str,
    /// Whether `audio.languages` announces it.
    pub announced: bool,
    /// Recorded clips among the required ones, and the required ones.
    pub recorded: usize,
    pub required: usize,
    /// Every required clip is recorded.
    pub complete: bool,
    /// Recorded clips are in use in this language (some, with `each`; all, with `complete`).
    pub in_use: bool,
    pub clips: Vec<ClipState>,
}

/// `GET /api/v1/voice`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Listing {
    /// `audio.recorded`: "each" or "complete".
    #[schema(value_type = String)]
    pub mode: &'static str,
    pub target_lufs: f64,
    pub rate: u32,
    pub languages: Vec<LangState>,
}

/// What an import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Imported {
    #[schema(value_type = Vec<String>)]
    pub languages: Vec<&'static str>,
    pub clips: usize,
}

/// Which clips a preview uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewSource {
    /// As announcements are now.
    Current,
    /// Every recorded clip, even in a language not complete yet (built-in for the rest).
    Recorded,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn mode_name(mode: Recorded) -> &'static str {
    match mode {
        Recorded::Each => "each",
        Recorded::Complete => "complete",
    }
}

impl Studio {
    /// The studio of `data_dir`, its recorded clips loaded and put in use. `prefixes` are the
    /// services' number prefixes (their letters are required clips). A voice folder that
    /// cannot be read is logged and the built-in voice used: the lobby must run regardless.
    pub fn open<'a>(
        data_dir: &Path,
        announcer: Announcer,
        prefixes: impl IntoIterator<Item = &'a str>,
        centre: &str,
    ) -> Studio {
        let store = Store::new(data_dir);
        let loaded = store.load().unwrap_or_else(|e| {
            tracing::error!(
                "voice: cannot read the recorded clips ({e}); the built-in voice is used"
            );
            Vec::new()
        });
        let clips = loaded
            .into_iter()
            .map(|s| (catalog::path(s.lang, &s.clip), Entry::new(s)))
            .collect();
        let studio = Studio {
            store,
            announcer,
            letters_used: catalog::prefix_letters(prefixes),
            centre: centre.to_string(),
            clips: Mutex::new(clips),
            writing: Mutex::new(()),
        };
        {
            let clips = lock(&studio.clips);
            if !clips.is_empty() {
                tracing::info!(recorded = clips.len(), "voice: recorded clips loaded");
            }
            studio.apply(&clips);
        }
        studio
    }

    fn settings(&self) -> &AudioSettings {
        self.announcer.settings()
    }

    fn catalog(&self, lang: Lang) -> Vec<ClipInfo> {
        catalog::clips(self.settings(), lang, &self.letters_used)
    }

    /// The clip `lang/clip` of the catalogue, or `UnknownClip`.
    fn known(&self, lang: &str, clip: &str) -> Result<(Lang, ClipInfo), VoiceError> {
        let unknown = || VoiceError::UnknownClip {
            lang: lang.to_string(),
            clip: clip.to_string(),
        };
        let l = Lang::parse(lang).ok_or_else(unknown)?;
        let info = self
            .catalog(l)
            .into_iter()
            .find(|i| i.clip == clip)
            .ok_or_else(unknown)?;
        Ok((l, info))
    }

    /// Whether every required clip of `lang` is in `clips`.
    fn complete(&self, lang: Lang, clips: &BTreeMap<String, Entry>) -> bool {
        self.catalog(lang)
            .iter()
            .filter(|i| i.required)
            .all(|i| clips.contains_key(&i.path()))
    }

    /// The recorded clips in use, by path.
    fn in_use(&self, clips: &BTreeMap<String, Entry>) -> HashMap<String, Clip> {
        let mut out = HashMap::new();
        for lang in LANGS {
            let used = match self.settings().recorded {
                Recorded::Each => true,
                Recorded::Complete => self.complete(lang, clips),
            };
            if !used {
                continue;
            }
            for (path, e) in clips.iter().filter(|(_, e)| e.stored.lang == lang) {
                let clip = Clip::new(e.stored.wav.clone(), e.stored.pcm.clone(), e.version());
                out.insert(path.clone(), clip);
            }
        }
        out
    }

    fn apply(&self, clips: &BTreeMap<String, Entry>) {
        self.announcer.set_recorded(self.in_use(clips));
    }

    /// Every clip of every language with its state.
    pub fn list(&self) -> Listing {
        let clips = lock(&self.clips);
        let in_use = self.in_use(&clips);
        let announced = &self.settings().languages;
        let mut langs: Vec<Lang> = announced.iter().filter_map(|l| Lang::parse(l)).collect();
        langs.extend(
            LANGS
                .iter()
                .filter(|l| !langs.contains(l))
                .copied()
                .collect::<Vec<_>>(),
        );
        let languages = langs
            .into_iter()
            .map(|lang| {
                let list: Vec<ClipState> = self
                    .catalog(lang)
                    .into_iter()
                    .map(|info| self.state_of(&info, clips.get(&info.path()), &in_use))
                    .collect();
                let required = list.iter().filter(|c| c.required).count();
                let recorded = list
                    .iter()
                    .filter(|c| c.required && c.state == "recorded")
                    .count();
                LangState {
                    lang: lang.code(),
                    announced: announced.iter().any(|l| l == lang.code()),
                    recorded,
                    required,
                    complete: recorded == required,
                    in_use: list.iter().any(|c| c.in_use),
                    clips: list,
                }
            })
            .collect();
        Listing {
            mode: mode_name(self.settings().recorded),
            target_lufs: TARGET_LUFS,
            rate: RATE,
            languages,
        }
    }

    fn state_of(
        &self,
        info: &ClipInfo,
        entry: Option<&Entry>,
        in_use: &HashMap<String, Clip>,
    ) -> ClipState {
        let path = info.path();
        let used = in_use.get(&path);
        ClipState {
            lang: info.lang.code(),
            clip: info.clip.clone(),
            text: info.text.clone(),
            required: info.required,
            state: if entry.is_some() {
                "recorded"
            } else {
                "builtin"
            },
            in_use: used.is_some(),
            builtin: self.announcer.builtin(&path).is_some(),
            url: match used {
                Some(c) => format!("/sounds/{path}?v={}", c.version),
                None => format!("/sounds/{path}"),
            },
            version: entry.map(Entry::version),
            duration_s: entry.map(|e| e.stored.seconds()),
            loudness_lufs: entry.and_then(|e| e.loudness),
            recorded_at: entry.and_then(|e| e.stored.modified).map(|t| {
                chrono::DateTime::<chrono::Utc>::from(t)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            }),
        }
    }

    /// The state of one clip.
    pub fn clip_state(&self, lang: &str, clip: &str) -> Result<ClipState, VoiceError> {
        let (_, info) = self.known(lang, clip)?;
        let clips = lock(&self.clips);
        let in_use = self.in_use(&clips);
        Ok(self.state_of(&info, clips.get(&info.path()), &in_use))
    }

    /// Processes a recording and stores it as `lang/clip` (blocking). On any error nothing
    /// changes.
    pub fn record(
        &self,
        lang: &str,
        clip: &str,
        recording: &[u8],
    ) -> Result<(ClipState, Report), VoiceError> {
        let (l, info) = self.known(lang, clip)?;
        let processed = process(recording)?;
        let stored = Stored::from_wav(l, clip, processed.wav)?;
        let entry = Entry::new(stored);
        {
            let _one_at_a_time = lock(&self.writing);
            self.store.write(l, clip, &entry.stored.wav)?;
            let mut clips = lock(&self.clips);
            clips.insert(info.path(), entry);
            self.apply(&clips);
        }
        tracing::info!(
            clip = %info.path(),
            duration_s = processed.report.duration_s,
            lufs = processed.report.loudness_lufs,
            source = processed.report.source,
            "voice: clip recorded"
        );
        Ok((self.clip_state(lang, clip)?, processed.report))
    }

    /// Returns `lang/clip` to the built-in voice (blocking).
    pub fn delete(&self, lang: &str, clip: &str) -> Result<ClipState, VoiceError> {
        let (l, info) = self.known(lang, clip)?;
        {
            let _one_at_a_time = lock(&self.writing);
            self.store.remove(l, clip)?;
            let mut clips = lock(&self.clips);
            clips.remove(&info.path());
            self.apply(&clips);
        }
        tracing::info!(clip = %info.path(), "voice: back to the built-in clip");
        self.clip_state(lang, clip)
    }

    /// The recorded WAV of `lang/clip`, or its built-in one.
    pub fn audio(
        &self,
        lang: &str,
        clip: &str,
        builtin: bool,
    ) -> Result<Option<bytes::Bytes>, VoiceError> {
        let (_, info) = self.known(lang, clip)?;
        let path = info.path();
        if builtin {
            return Ok(self.announcer.builtin(&path).map(|c| c.bytes));
        }
        Ok(lock(&self.clips).get(&path).map(|e| e.stored.wav.clone()))
    }

    /// The voice pack of every recorded clip (`NothingRecorded` when there is none).
    pub fn export(&self, created_at: Option<String>) -> Result<Vec<u8>, VoiceError> {
        let clips: Vec<Stored> = lock(&self.clips)
            .values()
            .map(|e| e.stored.clone())
            .collect();
        pack::export(&clips, Some(&self.centre), created_at)
    }

    /// Loads a voice pack (blocking): the languages it holds are replaced by its clips. A
    /// pack that fails any check changes nothing.
    pub fn import(&self, bytes: &[u8]) -> Result<Imported, VoiceError> {
        let (langs, new) = pack::parse(bytes)?;
        let entries: Vec<(String, Entry)> = new
            .iter()
            .map(|s| (catalog::path(s.lang, &s.clip), Entry::new(s.clone())))
            .collect();
        {
            let _one_at_a_time = lock(&self.writing);
            if let Err(e) = self.store.replace_languages(&langs, &new) {
                // Each language is swapped atomically, but an earlier one may be done: show
                // what is on disk now.
                if let Ok(now) = self.store.load() {
                    let mut clips = lock(&self.clips);
                    *clips = now
                        .into_iter()
                        .map(|s| (catalog::path(s.lang, &s.clip), Entry::new(s)))
                        .collect();
                    self.apply(&clips);
                }
                return Err(e);
            }
            let mut clips = lock(&self.clips);
            clips.retain(|_, e| !langs.contains(&e.stored.lang));
            clips.extend(entries);
            self.apply(&clips);
        }
        let languages: Vec<&'static str> = langs.iter().map(|l| l.code()).collect();
        tracing::info!(clips = new.len(), languages = ?languages, "voice: pack imported");
        Ok(Imported {
            languages,
            clips: new.len(),
        })
    }

    /// The whole announcement of a call as a WAV file, and its words (one line per language):
    /// in `lang` only, or in the configured languages; with the clips in use now, or with every
    /// recorded clip.
    pub fn preview(
        &self,
        number: &str,
        counter: u32,
        lang: Option<Lang>,
        source: PreviewSource,
    ) -> Result<(Vec<u8>, Vec<String>), VoiceError> {
        let mut settings = self.settings().clone();
        if let Some(l) = lang {
            settings.languages = vec![l.code().to_string()];
        }
        let recorded: HashMap<String, Clip> = match source {
            PreviewSource::Current => HashMap::new(),
            PreviewSource::Recorded => lock(&self.clips)
                .iter()
                .map(|(p, e)| {
                    let c = Clip::new(e.stored.wav.clone(), e.stored.pcm.clone(), e.version());
                    (p.clone(), c)
                })
                .collect(),
        };
        let lookup = |p: &str| {
            recorded
                .get(p)
                .cloned()
                .or_else(|| self.announcer.current(p))
        };
        let paths =
            crate::audio::playlist::compose(&settings, number, counter, &|p| lookup(p).is_some());
        let clips: Vec<Clip> = paths.iter().filter_map(|p| lookup(p)).collect();
        let mut samples = Vec::new();
        for c in &clips {
            samples.extend_from_slice(&c.pcm);
        }
        let wav = crate::audio::render::wav_bytes(&samples)
            .map_err(|e| VoiceError::NotAudio(format!("cannot render the preview: {e}")))?;
        Ok((wav, crate::audio::cli::say_text(&settings, number, counter)))
    }
}

#[cfg(test)]
#[path = "studio_tests.rs"]
pub(crate) mod tests;
