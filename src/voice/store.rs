//! The recorded clips on disk: `DATA/voice/<lang>/<clip>.wav`, each mono 16-bit WAV at the
//! player's rate, exactly the bytes that are served and exported.
//!
//! Every change is atomic: a clip is written to a temporary file in the same folder, flushed
//! to disk, renamed over the old one and the folder flushed, so a power cut leaves the old
//! clip or the new one, never half of one. An imported language replaces the whole folder:
//! the new one is built beside it (`.import-<lang>`), the old one renamed away (`.old-<lang>`),
//! the new one renamed into place; [`Store::load`] finishes or undoes a swap a crash cut
//! short. Blocking I/O: call from a blocking thread.

use std::fs::{self, File};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::audio::clips::RATE;
use crate::audio::words::Lang;

use super::catalog::{valid_name, LANGS};
use super::{io_err, VoiceError};

/// One stored clip.
#[derive(Debug, Clone)]
pub struct Stored {
    pub lang: Lang,
    pub clip: String,
    pub wav: bytes::Bytes,
    pub pcm: Arc<[f32]>,
    /// SHA-256 of `wav`, hex.
    pub sha256: String,
    pub modified: Option<SystemTime>,
}

impl Stored {
    /// A clip from its WAV bytes (checked with [`pcm_of_wav`]).
    pub fn from_wav(lang: Lang, clip: &str, wav: Vec<u8>) -> Result<Stored, VoiceError> {
        let pcm = pcm_of_wav(&wav)?;
        Ok(Stored {
            lang,
            clip: clip.to_string(),
            sha256: sha256_hex(&wav),
            wav: wav.into(),
            pcm: pcm.into(),
            modified: Some(SystemTime::now()),
        })
    }

    /// Its length in seconds.
    pub fn seconds(&self) -> f64 {
        self.pcm.len() as f64 / f64::from(RATE)
    }
}

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The samples of a clip file, which must be what xephang writes: mono, [`RATE`] Hz, 16-bit
/// PCM, at least one sample. Anything else is refused (`NotAudio`).
pub fn pcm_of_wav(bytes: &[u8]) -> Result<Vec<f32>, VoiceError> {
    let bad = |why: String| VoiceError::NotAudio(why);
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| bad(format!("WAV: {e}")))?;
    let spec = reader.spec();
    if spec.channels != 1
        || spec.sample_rate != RATE
        || spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
    {
        return Err(bad(format!(
            "a clip must be mono {RATE} Hz 16-bit WAV (this one: {} channels, {} Hz, {} bits)",
            spec.channels, spec.sample_rate, spec.bits_per_sample
        )));
    }
    let pcm = reader
        .into_samples::<i16>()
        .map(|s| s.map(|v| f32::from(v) / 32768.0))
        .collect::<Result<Vec<f32>, _>>()
        .map_err(|e| bad(format!("WAV: {e}")))?;
    if pcm.is_empty() {
        return Err(bad("the WAV holds no samples".into()));
    }
    Ok(pcm)
}

/// The folder of recorded clips.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store of a data dir: `<data_dir>/voice`.
    pub fn new(data_dir: &Path) -> Store {
        Store {
            dir: data_dir.join("voice"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lang_dir(&self, lang: Lang) -> PathBuf {
        self.dir.join(lang.code())
    }

    /// Every stored clip. Finishes an import a crash interrupted, removes leftovers, and skips
    /// (with a warning) a file that is not a valid clip.
    pub fn load(&self) -> Result<Vec<Stored>, VoiceError> {
        if !self.dir.is_dir() {
            return Ok(Vec::new());
        }
        self.recover()?;
        let mut out = Vec::new();
        for lang in LANGS {
            let dir = self.lang_dir(lang);
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&dir)(e)),
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(io_err(&dir))?;
                names.push(entry.file_name().to_string_lossy().to_string());
            }
            names.sort();
            for name in names {
                let file = dir.join(&name);
                if name.starts_with('.') && name.ends_with(".tmp") {
                    let _ = fs::remove_file(&file);
                    continue;
                }
                let Some(clip) = name.strip_suffix(".wav").filter(|c| valid_name(c)) else {
                    tracing::warn!("{}: not a voice clip name, ignored", file.display());
                    continue;
                };
                let bytes = fs::read(&file).map_err(io_err(&file))?;
                match Stored::from_wav(lang, clip, bytes) {
                    Ok(mut s) => {
                        s.modified = fs::metadata(&file).and_then(|m| m.modified()).ok();
                        out.push(s);
                    }
                    Err(e) => tracing::warn!("{}: {e}; the built-in clip is used", file.display()),
                }
            }
        }
        Ok(out)
    }

    /// Undoes or finishes a language swap a crash interrupted (see the module doc).
    fn recover(&self) -> Result<(), VoiceError> {
        for lang in LANGS {
            let live = self.lang_dir(lang);
            let old = self.dir.join(format!(".old-{}", lang.code()));
            let staging = self.dir.join(format!(".import-{}", lang.code()));
            if !live.exists() && old.is_dir() {
                tracing::warn!(
                    "voice: an import of {} was interrupted; the clips before it are kept",
                    lang.code()
                );
                fs::rename(&old, &live).map_err(io_err(&old))?;
            }
            for leftover in [old, staging] {
                if leftover.exists() {
                    fs::remove_dir_all(&leftover).map_err(io_err(&leftover))?;
                }
            }
        }
        Ok(())
    }

    /// Writes one clip atomically.
    pub fn write(&self, lang: Lang, clip: &str, wav: &[u8]) -> Result<(), VoiceError> {
        let dir = self.lang_dir(lang);
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        write_file(&dir, &format!("{clip}.wav"), wav)?;
        sync_dir(&dir)
    }

    /// Removes one clip; false when there was none.
    pub fn remove(&self, lang: Lang, clip: &str) -> Result<bool, VoiceError> {
        let dir = self.lang_dir(lang);
        let file = dir.join(format!("{clip}.wav"));
        match fs::remove_file(&file) {
            Ok(()) => {
                sync_dir(&dir)?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(&file)(e)),
        }
    }

    /// Replaces every clip of each language in `langs` by the clips of `clips` in that
    /// language (an import), one language folder at a time, each atomically.
    pub fn replace_languages(&self, langs: &[Lang], clips: &[Stored]) -> Result<(), VoiceError> {
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        self.recover()?;
        for lang in langs {
            let staging = self.dir.join(format!(".import-{}", lang.code()));
            fs::create_dir_all(&staging).map_err(io_err(&staging))?;
            for c in clips.iter().filter(|c| c.lang == *lang) {
                write_file(&staging, &format!("{}.wav", c.clip), &c.wav)?;
            }
            sync_dir(&staging)?;
            let live = self.lang_dir(*lang);
            let old = self.dir.join(format!(".old-{}", lang.code()));
            if live.exists() {
                fs::rename(&live, &old).map_err(io_err(&live))?;
            }
            fs::rename(&staging, &live).map_err(io_err(&staging))?;
            sync_dir(&self.dir)?;
            if old.exists() {
                fs::remove_dir_all(&old).map_err(io_err(&old))?;
            }
        }
        Ok(())
    }
}

/// Writes `dir/name` through a temporary file, flushed, then renamed into place.
fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), VoiceError> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    drop(f);
    fs::rename(&tmp, &target).map_err(io_err(&target))
}

fn sync_dir(dir: &Path) -> Result<(), VoiceError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(samples: &[f32]) -> Vec<u8> {
        crate::audio::render::wav_bytes(samples).unwrap()
    }

    #[test]
    fn write_load_remove_and_refuse_foreign_formats() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        assert!(store.load().unwrap().is_empty());
        let a = wav(&[0.1; 500]);
        store.write(Lang::Vi, "mot", &a).unwrap();
        store.write(Lang::En, "one", &wav(&[0.2; 300])).unwrap();
        // A stray temporary file, a bad name and a file in another format are not clips.
        std::fs::write(store.dir().join("vi/.hai.wav.tmp"), b"x").unwrap();
        std::fs::write(store.dir().join("vi/Bad Name.wav"), &a).unwrap();
        let mut w = hound::WavWriter::create(
            store.dir().join("vi/ba.wav"),
            hound::WavSpec {
                channels: 2,
                sample_rate: 44_100,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
        )
        .unwrap();
        w.write_sample(0i16).unwrap();
        w.write_sample(0i16).unwrap();
        w.finalize().unwrap();
        let loaded = store.load().unwrap();
        let names: Vec<_> = loaded.iter().map(|s| (s.lang, s.clip.as_str())).collect();
        assert_eq!(names, [(Lang::Vi, "mot"), (Lang::En, "one")]);
        assert_eq!(loaded[0].wav.as_ref(), &a[..]);
        assert_eq!(loaded[0].sha256, sha256_hex(&a));
        assert!(!store.dir().join("vi/.hai.wav.tmp").exists());
        assert!(store.remove(Lang::Vi, "mot").unwrap());
        assert!(!store.remove(Lang::Vi, "mot").unwrap());
        assert!(pcm_of_wav(b"RIFF").is_err());
    }

    #[test]
    fn a_language_swap_cut_short_is_recovered() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        store.write(Lang::Vi, "mot", &wav(&[0.1; 500])).unwrap();
        let new = Stored::from_wav(Lang::Vi, "hai", wav(&[0.3; 400])).unwrap();
        store.replace_languages(&[Lang::Vi], &[new]).unwrap();
        let names: Vec<_> = store.load().unwrap().into_iter().map(|s| s.clip).collect();
        assert_eq!(names, ["hai"]);
        // A crash after the old folder was moved away and before the new one moved in.
        std::fs::rename(store.dir().join("vi"), store.dir().join(".old-vi")).unwrap();
        std::fs::create_dir_all(store.dir().join(".import-vi")).unwrap();
        let names: Vec<_> = store.load().unwrap().into_iter().map(|s| s.clip).collect();
        assert_eq!(names, ["hai"]);
        assert!(!store.dir().join(".old-vi").exists() && !store.dir().join(".import-vi").exists());
    }
}
