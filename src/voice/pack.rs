//! A voice pack: every recorded clip of a centre in one tar archive, so that a province records
//! one voice and every centre loads it (`xephang voice export|import`, or the `/voice` page).
//!
//! ```text
//! manifest.json   {"format":"xephang-voice-pack","version":1,"rate":22050,"target_lufs":-18.0,
//!                  "centre":"…","created_at":"…",
//!                  "clips":[{"lang":"vi","clip":"mot","text":"một","file":"vi/mot.wav",
//!                            "sha256":"…","bytes":12345}, …]}
//! vi/mot.wav …    the clips, byte for byte as stored
//! ```
//!
//! The archive is deterministic (sorted entries, no times or owners), and an import stores the
//! clips byte for byte, so a pack exported again gives the same bytes. [`parse`] checks
//! everything before anything is stored: the manifest, that each listed file is there with its
//! size and SHA-256, that nothing unlisted is there, and that each clip is a valid clip (mono
//! 22050 Hz 16-bit WAV, at most [`MAX_CLIP_S`]). A damaged, truncated or foreign archive is
//! refused as a whole.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use serde::{Deserialize, Serialize};

use crate::audio::clips::{clip_text, RATE};
use crate::audio::words::Lang;

use super::catalog::{path, valid_name};
use super::store::{sha256_hex, Stored};
use super::{VoiceError, MAX_CLIP_S, MAX_PACK, TARGET_LUFS};

/// `format` of the manifest.
pub const FORMAT: &str = "xephang-voice-pack";
/// Name of the manifest in the archive.
pub const MANIFEST: &str = "manifest.json";
/// Most files in a pack.
const MAX_FILES: usize = 1000;
/// Largest file in a pack.
const MAX_FILE: u64 = 4 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub rate: u32,
    pub target_lufs: f64,
    #[serde(default)]
    pub centre: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    pub clips: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub lang: String,
    pub clip: String,
    #[serde(default)]
    pub text: Option<String>,
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

/// The pack of `clips` (at least one).
pub fn export(
    clips: &[Stored],
    centre: Option<&str>,
    created_at: Option<String>,
) -> Result<Vec<u8>, VoiceError> {
    if clips.is_empty() {
        return Err(VoiceError::NothingRecorded);
    }
    let mut sorted: Vec<&Stored> = clips.iter().collect();
    sorted.sort_by(|a, b| (a.lang.code(), &a.clip).cmp(&(b.lang.code(), &b.clip)));
    let manifest = Manifest {
        format: FORMAT.to_string(),
        version: 1,
        rate: RATE,
        target_lufs: TARGET_LUFS,
        centre: centre.map(str::to_string),
        created_at,
        clips: sorted
            .iter()
            .map(|c| Entry {
                lang: c.lang.code().to_string(),
                clip: c.clip.clone(),
                text: Some(clip_text(c.lang, &c.clip)),
                file: path(c.lang, &c.clip),
                sha256: c.sha256.clone(),
                bytes: c.wav.len() as u64,
            })
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| VoiceError::BadPack(format!("manifest: {e}")))?;
    let mut builder = tar::Builder::new(Vec::new());
    let io = |e: std::io::Error| VoiceError::BadPack(format!("writing the archive: {e}"));
    append(&mut builder, MANIFEST, &json).map_err(io)?;
    for c in sorted {
        append(&mut builder, &path(c.lang, &c.clip), &c.wav).map_err(io)?;
    }
    builder.into_inner().map_err(io)
}

fn append(builder: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) -> std::io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, name, data)
}

/// The clips of a pack and the languages it holds, every check passed (see the module doc).
pub fn parse(bytes: &[u8]) -> Result<(Vec<Lang>, Vec<Stored>), VoiceError> {
    let bad = |why: String| VoiceError::BadPack(why);
    if bytes.len() > MAX_PACK {
        return Err(bad(format!("larger than {} MiB", MAX_PACK >> 20)));
    }
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    let entries = archive
        .entries()
        .map_err(|e| bad(format!("not a tar archive ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("damaged archive ({e})")))?;
        let kind = entry.header().entry_type();
        let name = entry
            .path()
            .map_err(|e| bad(format!("damaged archive ({e})")))?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(bad(format!("{name} is not a plain file")));
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_FILE {
            return Err(bad(format!("{name} is larger than {} MiB", MAX_FILE >> 20)));
        }
        if files.len() >= MAX_FILES {
            return Err(bad(format!("more than {MAX_FILES} files")));
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| bad(format!("{name}: damaged or cut short ({e})")))?;
        if data.len() as u64 != size {
            return Err(bad(format!("{name} is cut short")));
        }
        if files.insert(name.clone(), data).is_some() {
            return Err(bad(format!("{name} is in the archive twice")));
        }
    }
    let manifest = files
        .remove(MANIFEST)
        .ok_or_else(|| bad(format!("no {MANIFEST} (is this a voice pack?)")))?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest).map_err(|e| bad(format!("{MANIFEST}: {e}")))?;
    if manifest.format != FORMAT || manifest.version != 1 {
        return Err(bad(format!(
            "{MANIFEST}: format {:?} version {} (expected {FORMAT:?} version 1)",
            manifest.format, manifest.version
        )));
    }
    if manifest.rate != RATE {
        return Err(bad(format!(
            "clips at {} Hz (expected {RATE})",
            manifest.rate
        )));
    }
    if manifest.clips.is_empty() {
        return Err(bad("it lists no clip".into()));
    }
    let mut langs = BTreeSet::new();
    let mut clips = Vec::new();
    for e in &manifest.clips {
        let lang =
            Lang::parse(&e.lang).ok_or_else(|| bad(format!("unknown language {:?}", e.lang)))?;
        if !valid_name(&e.clip) || e.file != path(lang, &e.clip) {
            return Err(bad(format!(
                "clip {:?} of {:?} (file {:?})",
                e.clip, e.lang, e.file
            )));
        }
        let data = files.remove(&e.file).ok_or_else(|| {
            bad(format!(
                "{} is listed but missing (or listed twice)",
                e.file
            ))
        })?;
        if data.len() as u64 != e.bytes || sha256_hex(&data) != e.sha256.to_ascii_lowercase() {
            return Err(bad(format!(
                "{} is damaged (size or SHA-256 differs from the manifest)",
                e.file
            )));
        }
        let clip = Stored::from_wav(lang, &e.clip, data)
            .map_err(|err| bad(format!("{}: {err}", e.file)))?;
        if clip.seconds() > MAX_CLIP_S {
            return Err(bad(format!(
                "{} is {:.1} s long (at most {MAX_CLIP_S} s)",
                e.file,
                clip.seconds()
            )));
        }
        langs.insert(lang.code());
        clips.push(clip);
    }
    if let Some(extra) = files.keys().next() {
        return Err(bad(format!("{extra} is not listed in {MANIFEST}")));
    }
    let langs = langs.into_iter().filter_map(Lang::parse).collect();
    Ok((langs, clips))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(lang: Lang, name: &str, v: f32) -> Stored {
        let wav = crate::audio::render::wav_bytes(&[v; 2000]).unwrap();
        Stored::from_wav(lang, name, wav).unwrap()
    }

    fn sample() -> Vec<Stored> {
        vec![
            clip(Lang::Vi, "mot", 0.1),
            clip(Lang::En, "one", 0.2),
            clip(Lang::Vi, "hai", 0.3),
        ]
    }

    #[test]
    fn round_trip_is_byte_identical_and_deterministic() {
        let pack = export(&sample(), Some("Demo"), None).unwrap();
        assert_eq!(pack, export(&sample(), Some("Demo"), None).unwrap());
        let (langs, clips) = parse(&pack).unwrap();
        assert_eq!(langs, [Lang::En, Lang::Vi]);
        let names: Vec<_> = clips.iter().map(|c| path(c.lang, &c.clip)).collect();
        assert_eq!(names, ["en/one.wav", "vi/hai.wav", "vi/mot.wav"]);
        for c in &clips {
            let orig = sample().into_iter().find(|o| o.clip == c.clip).unwrap();
            assert_eq!(c.wav, orig.wav);
        }
        assert_eq!(export(&clips, Some("Demo"), None).unwrap(), pack);
        assert!(matches!(
            export(&[], None, None),
            Err(VoiceError::NothingRecorded)
        ));
    }

    #[test]
    fn damaged_packs_are_refused() {
        let pack = export(&sample(), None, None).unwrap();
        let refused = |bytes: &[u8], what: &str| match parse(bytes) {
            Err(VoiceError::BadPack(why)) => assert!(why.contains(what), "{what}: {why}"),
            other => panic!("{what}: {other:?}"),
        };
        // One byte of a clip changed (the last clip's data starts after its 512-byte header).
        let mut flipped = pack.clone();
        let at = pack.len() - 1024 - 512 - 100;
        flipped[at] ^= 0x55;
        refused(&flipped, "damaged");
        refused(&pack[..pack.len() / 2], "");
        refused(b"not a tar at all, just some text that is long enough", "");
        refused(&[], "no manifest.json");
        // A file the manifest does not list, and a listed one that is missing.
        let mut b = tar::Builder::new(Vec::new());
        let (_, clips) = parse(&pack).unwrap();
        let manifest = {
            let mut a = tar::Archive::new(Cursor::new(&pack));
            let mut e = a.entries().unwrap().next().unwrap().unwrap();
            let mut s = Vec::new();
            e.read_to_end(&mut s).unwrap();
            s
        };
        append(&mut b, MANIFEST, &manifest).unwrap();
        for c in &clips {
            append(&mut b, &path(c.lang, &c.clip), &c.wav).unwrap();
        }
        append(&mut b, "vi/ba.wav", &clips[0].wav).unwrap();
        refused(&b.into_inner().unwrap(), "vi/ba.wav is not listed");
        let mut b = tar::Builder::new(Vec::new());
        append(&mut b, MANIFEST, &manifest).unwrap();
        append(&mut b, "en/one.wav", &clips[0].wav).unwrap();
        refused(&b.into_inner().unwrap(), "vi/hai.wav is listed but missing");
        // A manifest of another format.
        let mut b = tar::Builder::new(Vec::new());
        append(
            &mut b,
            MANIFEST,
            br#"{"format":"other","version":1,"rate":22050,"target_lufs":-18,"clips":[]}"#,
        )
        .unwrap();
        refused(&b.into_inner().unwrap(), "format");
    }
}
