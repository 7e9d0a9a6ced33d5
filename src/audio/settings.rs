//! The `[audio]` section of the config: where announcements are played, in which dialect and
//! languages, and how often they repeat. Every key has a default, so the section is optional.

use std::path::PathBuf;

use serde::Deserialize;

/// Where call announcements are played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Output {
    /// On the daemon PC's sound device (rodio).
    Device,
    /// Only by boards opened with `?audio=1` (the playlist travels in the events).
    #[default]
    Browser,
    /// Both of the above.
    Both,
    /// Silence; events still carry their playlist.
    Off,
}

/// Regional reading of numbers: `bac` (nghìn, linh) or `nam` (ngàn, lẻ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    #[default]
    Bac,
    Nam,
}

/// When the clips a centre recorded on `/voice` replace the built-in ones (`audio.recorded`).
/// A human voice mixed with the synthetic one mid-sentence sounds worse than either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Recorded {
    /// Each recorded clip is used as soon as it is saved.
    Each,
    /// A language's recorded clips are used once every clip it needs is recorded.
    #[default]
    Complete,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudioSettings {
    pub output: Output,
    pub dialect: Dialect,
    /// Read 4 after a tens of 2–9 as "tư" (24 hai mươi tư) instead of "bốn".
    pub four_as_tu: bool,
    /// Languages announced, in order, for every call ("vi", "en").
    pub languages: Vec<String>,
    /// How many times the announcement is spoken (1–3).
    pub repeats: u32,
    /// Silence between repeats, in milliseconds.
    pub gap_ms: u32,
    /// An announcement still queued this many seconds after its call is skipped.
    pub max_lag_s: u32,
    /// A folder of the centre's own recorded clips (same names as sounds/); None = built-in.
    pub clips_dir: Option<PathBuf>,
    /// Play the two-tone chime before each announcement.
    pub chime: bool,
    /// Silence after the chime, in milliseconds.
    pub chime_gap_ms: u32,
    /// Silence between two languages of one announcement, in milliseconds.
    pub language_gap_ms: u32,
    /// Volume of the device player (1.0 = the clips as recorded; 0.0–2.0).
    pub volume: f32,
    /// What is said in each language, as a list of clip names and the placeholders
    /// `{number}` (the ticket number) and `{counter}` (the counter number).
    pub templates: Templates,
    /// When recorded clips (`/voice`, stored in the data dir) are used: `each` or `complete`.
    pub recorded: Recorded,
}

/// The announcement template of each language: clip names (files `<lang>/<name>.wav`) and the
/// placeholders `{number}` and `{counter}`, in the order they are said.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Templates {
    /// Default: "Mời công dân có số thứ tự {number} đến quầy số {counter}".
    pub vi: Vec<String>,
    /// Default: "Ticket number {number}, please go to counter {counter}".
    pub en: Vec<String>,
}

/// Placeholder of a template for the ticket number.
pub const NUMBER: &str = "{number}";
/// Placeholder of a template for the counter number.
pub const COUNTER: &str = "{counter}";

impl Default for Templates {
    fn default() -> Self {
        let t = |items: [&str; 4]| items.iter().map(|s| s.to_string()).collect();
        Templates {
            vi: t(["moi_cong_dan_co_so_thu_tu", NUMBER, "den_quay_so", COUNTER]),
            en: t(["ticket_number", NUMBER, "please_go_to_counter", COUNTER]),
        }
    }
}

impl Templates {
    /// The template of a language code ("vi", "en"), if it has one.
    pub fn get(&self, lang: &str) -> Option<&[String]> {
        match lang {
            "vi" => Some(&self.vi),
            "en" => Some(&self.en),
            _ => None,
        }
    }
}

impl Default for AudioSettings {
    fn default() -> Self {
        AudioSettings {
            output: Output::default(),
            dialect: Dialect::default(),
            four_as_tu: false,
            languages: vec!["vi".to_string()],
            repeats: 1,
            gap_ms: 700,
            max_lag_s: 90,
            clips_dir: None,
            chime: true,
            chime_gap_ms: 300,
            language_gap_ms: 500,
            volume: 1.0,
            templates: Templates::default(),
            recorded: Recorded::default(),
        }
    }
}

impl AudioSettings {
    /// Checks the values serde cannot: the message names the key, as `audio.<key>`, and says
    /// what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=3).contains(&self.repeats) {
            return Err(format!(
                "audio.repeats must be 1, 2 or 3 (got {})",
                self.repeats
            ));
        }
        if self.languages.is_empty() {
            return Err("audio.languages must name at least one language (\"vi\", \"en\")".into());
        }
        for (i, lang) in self.languages.iter().enumerate() {
            let Some(template) = self.templates.get(lang) else {
                return Err(format!(
                    "audio.languages: unknown language {lang:?} (known: \"vi\", \"en\")"
                ));
            };
            if self.languages[..i].contains(lang) {
                return Err(format!("audio.languages: {lang:?} is listed twice"));
            }
            if template.is_empty() {
                return Err(format!("audio.templates.{lang} is empty"));
            }
            for item in template {
                let is_clip = !item.is_empty()
                    && item
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if item != NUMBER && item != COUNTER && !is_clip {
                    return Err(format!(
                        "audio.templates.{lang}: {item:?} is neither a clip name ([a-z0-9_]+, a file {lang}/NAME.wav) nor {NUMBER} or {COUNTER}"
                    ));
                }
            }
        }
        for (key, ms) in [
            ("gap_ms", self.gap_ms),
            ("chime_gap_ms", self.chime_gap_ms),
            ("language_gap_ms", self.language_gap_ms),
        ] {
            if ms > 10_000 {
                return Err(format!("audio.{key} must be at most 10000 ms (got {ms})"));
            }
        }
        if !(0.0..=2.0).contains(&self.volume) {
            return Err(format!(
                "audio.volume must be between 0.0 and 2.0 (got {})",
                self.volume
            ));
        }
        if self.max_lag_s == 0 {
            return Err("audio.max_lag_s must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_is_all_defaults() {
        let s: AudioSettings = toml::from_str("").unwrap();
        assert_eq!(s.output, Output::Browser);
        assert_eq!(s.templates, Templates::default());
        assert!(s.chime && s.validate().is_ok());
        assert_eq!(s.recorded, Recorded::Complete);
    }

    #[test]
    fn full_section() {
        let s: AudioSettings = toml::from_str(
            r#"
            output = "both"
            dialect = "nam"
            four_as_tu = true
            languages = ["vi", "en"]
            repeats = 2
            gap_ms = 1000
            max_lag_s = 60
            clips_dir = "/srv/xephang/clips"
            chime = false
            language_gap_ms = 300
            volume = 0.8
            recorded = "each"
            [templates]
            vi = ["xin_moi", "{number}", "den_quay_so", "{counter}"]
            "#,
        )
        .unwrap();
        assert_eq!(s.dialect, Dialect::Nam);
        assert_eq!(s.templates.vi[0], "xin_moi");
        assert_eq!(s.recorded, Recorded::Each);
        assert_eq!(s.templates.en, Templates::default().en);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn typos_and_bad_values_are_named() {
        assert!(toml::from_str::<AudioSettings>("repeat = 2").is_err());
        assert!(toml::from_str::<AudioSettings>("[templates]\nfr = []").is_err());
        let bad = |s: AudioSettings, key: &str| {
            let err = s.validate().unwrap_err();
            assert!(err.contains(key), "{err}");
        };
        let d = AudioSettings::default;
        bad(AudioSettings { repeats: 4, ..d() }, "audio.repeats");
        bad(
            AudioSettings {
                languages: vec![],
                ..d()
            },
            "audio.languages",
        );
        bad(
            AudioSettings {
                languages: vec!["fr".into()],
                ..d()
            },
            "\"fr\"",
        );
        bad(
            AudioSettings {
                languages: vec!["vi".into(), "vi".into()],
                ..d()
            },
            "twice",
        );
        bad(
            AudioSettings {
                gap_ms: 60_000,
                ..d()
            },
            "audio.gap_ms",
        );
        bad(AudioSettings { volume: 3.0, ..d() }, "audio.volume");
        let mut t = d();
        t.templates.vi = vec!["Mời".into()];
        bad(t, "audio.templates.vi");
    }
}
