//! Composition of an announcement: a call (ticket number, counter) → the ordered clip paths.
//!
//! Order: the chime and its gap (when `audio.chime`), then `repeats` times, separated by a
//! `gap_ms` silence: each language of `audio.languages` in turn, separated by a
//! `language_gap_ms` silence, saying its template with `{number}` and `{counter}` read as
//! words. Words follow each other without gaps (the clips are trimmed of silence). Paths are
//! relative to `/sounds/`: "chime.wav", "gap/700.wav", "vi/mot.wav".

use super::clips::{clip_text, gap_path, CHIME};
use super::settings::{AudioSettings, COUNTER, NUMBER};
use super::words::{self, Lang, Word};

/// The clip paths of the announcement of `number` at `counter`. `has` tells whether a clip is
/// loaded: a word without a clip (a letter a centre did not record) is left out.
pub fn compose(
    settings: &AudioSettings,
    number: &str,
    counter: u32,
    has: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let push = |path: String, out: &mut Vec<String>| {
        if has(&path) {
            out.push(path);
        } else {
            tracing::debug!("announcement of {number}: no clip {path}, left out");
        }
    };
    if settings.chime {
        push(CHIME.to_string(), &mut out);
        if settings.chime_gap_ms > 0 {
            push(gap_path(settings.chime_gap_ms), &mut out);
        }
    }
    let langs: Vec<Lang> = settings
        .languages
        .iter()
        .filter_map(|l| Lang::parse(l))
        .collect();
    for repeat in 0..settings.repeats.max(1) {
        if repeat > 0 && settings.gap_ms > 0 {
            push(gap_path(settings.gap_ms), &mut out);
        }
        for (i, lang) in langs.iter().enumerate() {
            if i > 0 && settings.language_gap_ms > 0 {
                push(gap_path(settings.language_gap_ms), &mut out);
            }
            for part in parts(settings, number, counter, *lang) {
                let clip = match part {
                    Part::Phrase(name) => name,
                    Part::Word(word) => word.clip.to_string(),
                };
                push(format!("{}/{clip}.wav", lang.code()), &mut out);
            }
        }
    }
    out
}

/// The announcement in one language as written text (said once).
pub fn text(settings: &AudioSettings, number: &str, counter: u32, lang: Lang) -> String {
    let mut out = String::new();
    let mut words: Vec<Word> = Vec::new();
    let mut after_number = false;
    let flush = |words: &mut Vec<Word>, out: &mut String| {
        if !words.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&words::text(words));
            words.clear();
        }
    };
    for part in parts(settings, number, counter, lang) {
        match part {
            Part::Word(word) => words.push(word),
            Part::Phrase(name) => {
                after_number |= !words.is_empty();
                flush(&mut words, &mut out);
                // English puts a comma between the number and what follows it.
                if after_number && lang == Lang::En && !out.is_empty() {
                    out.push(',');
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&clip_text(lang, &name));
                after_number = false;
            }
        }
    }
    flush(&mut words, &mut out);
    out
}

enum Part {
    Phrase(String),
    Word(Word),
}

fn parts(settings: &AudioSettings, number: &str, counter: u32, lang: Lang) -> Vec<Part> {
    let (dialect, tu) = (settings.dialect, settings.four_as_tu);
    let mut out = Vec::new();
    for item in settings.templates.get(lang.code()).unwrap_or_default() {
        if item == NUMBER {
            let words = words::ticket_words(number, lang, dialect, tu);
            out.extend(words.into_iter().map(Part::Word));
        } else if item == COUNTER {
            let words = words::number_words(counter, lang, dialect, tu);
            out.extend(words.into_iter().map(Part::Word));
        } else {
            out.push(Part::Phrase(item.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(_: &str) -> bool {
        true
    }

    #[test]
    fn default_vietnamese_call() {
        let s = AudioSettings::default();
        assert_eq!(
            compose(&s, "1005", 3, &all),
            [
                "chime.wav",
                "gap/300.wav",
                "vi/moi_cong_dan_co_so_thu_tu.wav",
                "vi/mot.wav",
                "vi/nghin.wav",
                "vi/khong.wav",
                "vi/tram.wav",
                "vi/linh.wav",
                "vi/nam.wav",
                "vi/den_quay_so.wav",
                "vi/ba.wav",
            ]
        );
        assert_eq!(
            text(&s, "1005", 3, Lang::Vi),
            "Mời công dân có số thứ tự một nghìn không trăm linh năm đến quầy số ba"
        );
    }

    #[test]
    fn repeats_and_languages_with_gaps() {
        let s = AudioSettings {
            languages: vec!["vi".into(), "en".into()],
            repeats: 2,
            gap_ms: 800,
            language_gap_ms: 400,
            chime: false,
            ..AudioSettings::default()
        };
        let p = compose(&s, "A005", 12, &all);
        let vi = [
            "vi/moi_cong_dan_co_so_thu_tu.wav",
            "vi/letter_a.wav",
            "vi/nam.wav",
            "vi/den_quay_so.wav",
            "vi/muoi.wav",
            "vi/hai.wav",
        ];
        let en = [
            "en/ticket_number.wav",
            "en/letter_a.wav",
            "en/five.wav",
            "en/please_go_to_counter.wav",
            "en/twelve.wav",
        ];
        let mut want: Vec<&str> = Vec::new();
        for r in 0..2 {
            if r > 0 {
                want.push("gap/800.wav");
            }
            want.extend(vi);
            want.push("gap/400.wav");
            want.extend(en);
        }
        assert_eq!(p, want);
        assert_eq!(
            text(&s, "1005", 3, Lang::En),
            "Ticket number one thousand and five, please go to counter three"
        );
    }

    #[test]
    fn missing_clips_are_left_out() {
        let s = AudioSettings::default();
        let p = compose(&s, "Q7", 1, &|p: &str| p != "vi/letter_q.wav");
        assert!(p.contains(&"vi/bay.wav".to_string()));
        assert!(!p.iter().any(|p| p.contains("letter")));
    }

    #[test]
    fn southern_dialect_and_tu() {
        let s = AudioSettings {
            dialect: crate::audio::settings::Dialect::Nam,
            four_as_tu: true,
            ..AudioSettings::default()
        };
        assert_eq!(
            text(&s, "2024", 24, Lang::Vi),
            "Mời công dân có số thứ tự hai ngàn không trăm hai mươi tư đến quầy số hai mươi tư"
        );
    }
}
