//! Which clips each language's announcements need, with the words to read, in the order the
//! recording page walks through them: the template's phrases first ("Mời công dân có số thứ
//! tự", "đến quầy số"), then the number words, then the letters of prefixed numbers.
//!
//! A clip is *required* when the configured announcements can say it (numbers in the
//! configured dialect, the template's phrases, the letters of the services' prefixes); the
//! other letters are optional. A language is *complete* when every required clip is recorded.

use std::collections::BTreeSet;

use crate::audio::clips::{catalogue, clip_text, needed};
use crate::audio::settings::{AudioSettings, COUNTER, NUMBER};
use crate::audio::words::{self, Lang};

/// Every language a centre can record.
pub const LANGS: [Lang; 2] = [Lang::Vi, Lang::En];

/// One clip of a language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipInfo {
    pub lang: Lang,
    /// File name without `.wav` ("mot", "den_quay_so", "letter_a").
    pub clip: String,
    /// What to say ("một", "đến quầy số").
    pub text: String,
    pub required: bool,
}

impl ClipInfo {
    /// Its path under `/sounds/` and in the data dir's `voice/` ("vi/mot.wav").
    pub fn path(&self) -> String {
        path(self.lang, &self.clip)
    }
}

/// "vi/mot.wav".
pub fn path(lang: Lang, clip: &str) -> String {
    format!("{}/{clip}.wav", lang.code())
}

/// The letters of the services' number prefixes, as letter clips ("letter_a").
pub fn prefix_letters<'a>(prefixes: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    prefixes
        .into_iter()
        .flat_map(|p| p.chars())
        .filter(char::is_ascii_alphabetic)
        .map(|c| format!("letter_{}", c.to_ascii_lowercase()))
        .collect()
}

/// The clips of `lang` for these settings (see the module doc for the order).
pub fn clips(
    settings: &AudioSettings,
    lang: Lang,
    letters_used: &BTreeSet<String>,
) -> Vec<ClipInfo> {
    let one = AudioSettings {
        languages: vec![lang.code().to_string()],
        ..settings.clone()
    };
    let (required, _) = needed(&one);
    let prefix = format!("{}/", lang.code());
    let required: BTreeSet<String> = required
        .iter()
        .filter_map(|p| p.strip_prefix(&prefix)?.strip_suffix(".wav"))
        .map(str::to_string)
        .collect();
    let mut order: Vec<String> = settings
        .templates
        .get(lang.code())
        .unwrap_or_default()
        .iter()
        .filter(|i| *i != NUMBER && *i != COUNTER)
        .cloned()
        .collect();
    // Number words in the catalogue's order (không, một, mốt, hai, …), not alphabetical.
    let numbers = words::number_clips(lang, settings.dialect, settings.four_as_tu);
    let mut listed: Vec<&str> = catalogue()
        .filter(|(l, n, _)| *l == lang.code() && numbers.contains(n))
        .map(|(_, n, _)| n)
        .collect();
    listed.extend(
        numbers
            .iter()
            .filter(|n| !listed.contains(n))
            .collect::<Vec<_>>(),
    );
    order.extend(listed.into_iter().map(str::to_string));
    for clip in words::letter_clips() {
        order.push(clip.to_string());
    }
    let mut seen = BTreeSet::new();
    order
        .into_iter()
        .filter(|c| seen.insert(c.clone()))
        .map(|clip| ClipInfo {
            lang,
            text: clip_text(lang, &clip),
            required: required.contains(&clip) || letters_used.contains(&clip),
            clip,
        })
        .collect()
}

/// A clip name as stored: `[a-z0-9_]`, 1 to 64 characters.
pub fn valid_name(clip: &str) -> bool {
    !clip.is_empty()
        && clip.len() <= 64
        && clip
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::settings::Dialect;

    #[test]
    fn vietnamese_clips_in_reading_order_with_their_words() {
        let s = AudioSettings::default();
        let letters = prefix_letters(["A", "BC"]);
        let list = clips(&s, Lang::Vi, &letters);
        assert_eq!(list[0].clip, "moi_cong_dan_co_so_thu_tu");
        assert_eq!(list[0].text, "Mời công dân có số thứ tự");
        assert_eq!(list[1].text, "đến quầy số");
        assert_eq!(list[2].clip, "khong");
        let get = |c: &str| list.iter().find(|i| i.clip == c).unwrap();
        assert!(get("nghin").required && get("linh").required && get("mot_sac").required);
        assert!(!list.iter().any(|i| i.clip == "ngan"), "bac needs no ngàn");
        assert!(get("letter_a").required && get("letter_c").required);
        assert!(!get("letter_d").required);
        assert_eq!(get("letter_b").text, "bê");
        assert_eq!(get("letter_b").path(), "vi/letter_b.wav");
        let nam = AudioSettings {
            dialect: Dialect::Nam,
            ..AudioSettings::default()
        };
        let list = clips(&nam, Lang::Vi, &BTreeSet::new());
        assert!(list
            .iter()
            .any(|i| i.clip == "ngan" && i.text == "ngàn" && i.required));
        let en = clips(&s, Lang::En, &BTreeSet::new());
        assert_eq!(en[0].text, "Ticket number");
        assert_eq!(en.iter().filter(|i| i.required).count(), 33);
    }

    #[test]
    fn names() {
        assert!(valid_name("mot") && valid_name("letter_a") && valid_name("x9"));
        for bad in ["", "Mot", "../x", "a b", "mot.wav", &"a".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
