//! The clip set: every WAV an announcement may use, by its path under `/sounds/`
//! ("vi/mot.wav", "en/thousand.wav", "chime.wav", "gap/700.wav").
//!
//! Clips come from the built-in `sounds/` folder (embedded in the binary with rust-embed) or,
//! when `audio.clips_dir` is set, from a centre's own folder with the same layout and names.
//! Loading checks that every clip the settings can need exists (numbers in the configured
//! dialect, the template phrases of each language, the chime) and reports every missing one
//! by name; letter clips (for prefixed numbers like "A005") are optional and only warned about.
//!
//! Every clip is decoded once, through rodio, and converted to one format ([`RATE`] Hz mono
//! `f32`), whatever its own rate and channel count: mixing formats in one queue plays later
//! clips at the wrong speed. Silences between repeats and languages are generated clips
//! ("gap/<ms>.wav") so that the browser plays exactly the same playlist.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::io::Cursor;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use rodio::source::UniformSourceIterator;
use rodio::{ChannelCount, SampleRate};
use rust_embed::RustEmbed;

use super::settings::{AudioSettings, COUNTER, NUMBER};
use super::words::{self, Lang};
use super::AudioError;

/// The sample rate every clip is converted to, and of rendered announcements.
pub const RATE: u32 = 22_050;
pub(crate) const RATE_NZ: SampleRate = match SampleRate::new(RATE) {
    Some(rate) => rate,
    None => panic!("RATE is not zero"),
};
pub(crate) const MONO: ChannelCount = ChannelCount::MIN;

/// Path of the chime.
pub const CHIME: &str = "chime.wav";

#[derive(RustEmbed)]
#[folder = "sounds/"]
struct Builtin;

/// The catalogue of built-in clips, `sounds/clips.tsv`: language, clip name, what is said.
const CATALOGUE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/sounds/clips.tsv"));

/// What a clip says, from the catalogue ("vi/den_quay_so" → "đến quầy số"). For a clip the
/// catalogue does not know (a centre's own phrase), its name with spaces for underscores.
pub fn clip_text(lang: Lang, name: &str) -> String {
    static TEXTS: OnceLock<HashMap<(String, String), String>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        catalogue()
            .map(|(l, n, t)| ((l.to_string(), n.to_string()), t.to_string()))
            .collect()
    });
    texts
        .get(&(lang.code().to_string(), name.to_string()))
        .cloned()
        .unwrap_or_else(|| name.replace('_', " "))
}

/// The catalogue's lines: (language, clip name, text).
pub fn catalogue() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    CATALOGUE.lines().filter_map(|line| {
        if line.starts_with('#') {
            return None;
        }
        let mut cols = line.split('\t');
        Some((cols.next()?, cols.next()?, cols.next()?))
    })
}

/// One loaded clip: its file (served to browsers), its decoded samples (for the player) and a
/// version of its bytes (an HTTP validator). Cheap to clone.
#[derive(Clone)]
pub struct Clip {
    pub bytes: Bytes,
    pub pcm: Arc<[f32]>,
    /// Changes whenever the bytes do: "b" and the CRC-32 of the file for built-in clips, the
    /// first 16 hex digits of its SHA-256 for recorded ones.
    pub version: String,
}

impl Clip {
    /// A clip from its file and decoded samples; `version` as documented on the field.
    pub fn new(bytes: Bytes, pcm: Arc<[f32]>, version: String) -> Clip {
        Clip {
            bytes,
            pcm,
            version,
        }
    }
}

/// The version of a built-in (or `clips_dir`) clip's bytes.
fn builtin_version(bytes: &[u8]) -> String {
    format!("b{:08x}", crc32fast::hash(bytes))
}

/// The loaded and decoded clips.
pub struct ClipSet {
    clips: HashMap<String, Clip>,
}

/// The clips the settings need, as paths: (required, optional).
pub fn needed(settings: &AudioSettings) -> (Vec<String>, Vec<String>) {
    let mut required = BTreeSet::new();
    let mut optional = BTreeSet::new();
    if settings.chime {
        required.insert(CHIME.to_string());
    } else {
        optional.insert(CHIME.to_string());
    }
    for code in &settings.languages {
        let Some(lang) = Lang::parse(code) else {
            continue;
        };
        for clip in words::number_clips(lang, settings.dialect, settings.four_as_tu) {
            required.insert(format!("{code}/{clip}.wav"));
        }
        for item in settings.templates.get(code).unwrap_or_default() {
            if item != NUMBER && item != COUNTER {
                required.insert(format!("{code}/{item}.wav"));
            }
        }
        for clip in words::letter_clips() {
            optional.insert(format!("{code}/{clip}.wav"));
        }
    }
    (
        required.into_iter().collect(),
        optional.into_iter().collect(),
    )
}

/// Path of the silence clip of `ms` milliseconds.
pub fn gap_path(ms: u32) -> String {
    format!("gap/{ms}.wav")
}

impl ClipSet {
    /// Loads and decodes what `settings` need from the built-in set or `clips_dir`.
    pub fn load(settings: &AudioSettings) -> Result<ClipSet, AudioError> {
        let dir = settings.clips_dir.as_deref();
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(AudioError::Io {
                    path: dir.to_path_buf(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "audio.clips_dir is not a folder",
                    ),
                });
            }
        }
        let (required, optional) = needed(settings);
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for path in &required {
            match read(dir, path)? {
                Some(bytes) => found.push((path, bytes)),
                None => missing.push(path.clone()),
            }
        }
        let source_dir = match dir {
            Some(d) => d.display().to_string(),
            None => "the built-in sounds/".to_string(),
        };
        if !missing.is_empty() {
            return Err(AudioError::MissingClips {
                source_dir,
                names: missing,
            });
        }
        let mut clips = HashMap::new();
        for (path, bytes) in found {
            clips.insert(path.clone(), decode(path, bytes)?);
        }
        let mut missing_optional = Vec::new();
        for path in &optional {
            match read(dir, path)? {
                Some(bytes) => {
                    clips.insert(path.clone(), decode(path, bytes)?);
                }
                None => missing_optional.push(path.clone()),
            }
        }
        if !missing_optional.is_empty() {
            tracing::warn!(
                "voice clips missing in {source_dir} (prefixed numbers skip these letters): {}",
                missing_optional.join(", ")
            );
        }
        let mut gaps = vec![settings.gap_ms, settings.language_gap_ms];
        if settings.chime {
            gaps.push(settings.chime_gap_ms);
        }
        for ms in gaps.into_iter().filter(|ms| *ms > 0) {
            let pcm: Arc<[f32]> = vec![0.0; samples_of_ms(ms)].into();
            let bytes = super::render::wav_bytes(&pcm).map_err(|e| AudioError::BadClip {
                name: gap_path(ms),
                reason: e.to_string(),
            })?;
            let version = builtin_version(&bytes);
            clips.insert(gap_path(ms), Clip::new(Bytes::from(bytes), pcm, version));
        }
        Ok(ClipSet { clips })
    }

    /// Whether `path` ("vi/mot.wav") is loaded.
    pub fn contains(&self, path: &str) -> bool {
        self.clips.contains_key(path)
    }

    /// A clip by path.
    pub fn get(&self, path: &str) -> Option<&Clip> {
        self.clips.get(path)
    }

    /// The WAV file of a clip.
    pub fn bytes(&self, path: &str) -> Option<Bytes> {
        self.clips.get(path).map(|c| c.bytes.clone())
    }

    /// The decoded samples of a clip ([`RATE`] Hz mono).
    pub fn pcm(&self, path: &str) -> Option<&Arc<[f32]>> {
        self.clips.get(path).map(|c| &c.pcm)
    }
}

/// Number of samples in `ms` milliseconds at [`RATE`].
pub fn samples_of_ms(ms: u32) -> usize {
    (u64::from(ms) * u64::from(RATE) / 1000) as usize
}

fn read(dir: Option<&Path>, path: &str) -> Result<Option<Cow<'static, [u8]>>, AudioError> {
    match dir {
        None => Ok(Builtin::get(path).map(|f| f.data)),
        Some(dir) => {
            let file = dir.join(path);
            match std::fs::read(&file) {
                Ok(bytes) => Ok(Some(Cow::Owned(bytes))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(AudioError::Io { path: file, source }),
            }
        }
    }
}

/// Decodes a WAV clip through rodio and converts it to [`RATE`] Hz mono.
fn decode(path: &str, bytes: Cow<'static, [u8]>) -> Result<Clip, AudioError> {
    let bad = |reason: String| AudioError::BadClip {
        name: path.to_string(),
        reason,
    };
    let decoder =
        rodio::Decoder::new_wav(Cursor::new(bytes.to_vec())).map_err(|e| bad(e.to_string()))?;
    let pcm: Vec<f32> = UniformSourceIterator::new(decoder, MONO, RATE_NZ).collect();
    if pcm.is_empty() {
        return Err(bad("it holds no audio".to_string()));
    }
    let version = builtin_version(&bytes);
    let bytes = match bytes {
        Cow::Borrowed(b) => Bytes::from_static(b),
        Cow::Owned(v) => Bytes::from(v),
    };
    Ok(Clip::new(bytes, pcm.into(), version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::settings::Dialect;

    #[test]
    fn catalogue_has_every_word_of_both_dialects() {
        let names: BTreeSet<String> = catalogue().map(|(l, n, _)| format!("{l}/{n}")).collect();
        for lang in [Lang::Vi, Lang::En] {
            for dialect in [Dialect::Bac, Dialect::Nam] {
                for clip in words::number_clips(lang, dialect, true)
                    .into_iter()
                    .chain(words::letter_clips())
                {
                    let name = format!("{}/{clip}", lang.code());
                    assert!(names.contains(&name), "{name} not in sounds/clips.tsv");
                }
            }
        }
    }

    #[test]
    fn every_catalogued_clip_is_built_in_and_decodes() {
        let mut count = 0;
        for (lang, name, _) in catalogue() {
            let path = format!("{lang}/{name}.wav");
            let bytes = Builtin::get(&path).map(|f| f.data);
            let bytes = bytes.unwrap_or_else(|| panic!("{path} is not in sounds/"));
            let clip = decode(&path, bytes).unwrap();
            assert!(clip.pcm.len() > RATE as usize / 20, "{path} is too short");
            count += 1;
        }
        assert!(count > 100);
        assert!(Builtin::get(CHIME).is_some());
    }

    #[test]
    fn texts() {
        assert_eq!(clip_text(Lang::Vi, "den_quay_so"), "đến quầy số");
        assert_eq!(clip_text(Lang::En, "ticket_number"), "Ticket number");
        assert_eq!(clip_text(Lang::Vi, "xin_moi"), "xin moi");
    }

    #[test]
    fn builtin_set_loads_with_defaults_and_both_languages() {
        let mut settings = AudioSettings {
            languages: vec!["vi".into(), "en".into()],
            ..AudioSettings::default()
        };
        let set = ClipSet::load(&settings).unwrap();
        assert!(set.contains("vi/nghin.wav") && set.contains("en/thousand.wav"));
        assert!(set.contains("vi/letter_a.wav") && set.contains(CHIME));
        assert!(set.contains(&gap_path(settings.gap_ms)));
        assert_eq!(set.pcm(&gap_path(700)).unwrap().len(), 15_435);
        settings.dialect = Dialect::Nam;
        let set = ClipSet::load(&settings).unwrap();
        assert!(set.contains("vi/ngan.wav") && !set.contains("vi/nghin.wav"));
    }
}
