//! Numbers as spoken words, in Vietnamese (both regional readings) and English. Pure: no I/O.
//!
//! [`number_words`] returns a `Vec<Word>`: each [`Word`] carries its text with full diacritics
//! (for `xephang say --text` and tests) and the name of the voice clip that says it (the file
//! `sounds/<lang>/<clip>.wav`). Joining the texts with [`text`] gives the reading, e.g.
//! 1005 → "một nghìn không trăm linh năm" (`bac`) or "một ngàn không trăm lẻ năm" (`nam`).
//!
//! Vietnamese rules (0–99 999):
//! - 1 after a tens of 2–9 is "mốt" (21 hai mươi mốt), after "mười" it is "một" (11 mười một);
//! - 5 after any tens is "lăm" (15 mười lăm, 25 hai mươi lăm), after linh/lẻ it is "năm";
//! - 4 after a tens of 2–9 is "tư" when `four_as_tu`, otherwise "bốn" (never "tư" after mười);
//! - a zero tens before a non-zero unit is "linh" (`bac`) or "lẻ" (`nam`): 101 một trăm linh một;
//! - a zero hundreds after the thousands is "không trăm": 1005 một nghìn không trăm linh năm;
//! - the thousands word is "nghìn" (`bac`) or "ngàn" (`nam`).
//!
//! English is read the British way: 1005 "one thousand and five", 1234 "one thousand two
//! hundred and thirty-four". Numbers above 99 999 are read digit by digit (never reached by a
//! ticket, but never a panic either).

use super::settings::Dialect;

/// A language with its own clip folder (`sounds/vi`, `sounds/en`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// Parses a language code as written in the config ("vi", "en").
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code, which is also the clip folder's name.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// One spoken word: its written form and the clip (file name without `.wav`) that says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub text: &'static str,
    pub clip: &'static str,
}

const fn w(text: &'static str, clip: &'static str) -> Word {
    Word { text, clip }
}

const VI_DIGITS: [Word; 10] = [
    w("không", "khong"),
    w("một", "mot"),
    w("hai", "hai"),
    w("ba", "ba"),
    w("bốn", "bon"),
    w("năm", "nam"),
    w("sáu", "sau"),
    w("bảy", "bay"),
    w("tám", "tam"),
    w("chín", "chin"),
];
const VI_MOT_SAC: Word = w("mốt", "mot_sac");
const VI_TU: Word = w("tư", "tu");
const VI_LAM: Word = w("lăm", "lam");
const VI_MUOI: Word = w("mười", "muoi");
const VI_MUOI_NGANG: Word = w("mươi", "muoi_ngang");
const VI_TRAM: Word = w("trăm", "tram");
const VI_NGHIN: Word = w("nghìn", "nghin");
const VI_NGAN: Word = w("ngàn", "ngan");
const VI_LINH: Word = w("linh", "linh");
const VI_LE: Word = w("lẻ", "le");

const EN_SMALL: [Word; 20] = [
    w("zero", "zero"),
    w("one", "one"),
    w("two", "two"),
    w("three", "three"),
    w("four", "four"),
    w("five", "five"),
    w("six", "six"),
    w("seven", "seven"),
    w("eight", "eight"),
    w("nine", "nine"),
    w("ten", "ten"),
    w("eleven", "eleven"),
    w("twelve", "twelve"),
    w("thirteen", "thirteen"),
    w("fourteen", "fourteen"),
    w("fifteen", "fifteen"),
    w("sixteen", "sixteen"),
    w("seventeen", "seventeen"),
    w("eighteen", "eighteen"),
    w("nineteen", "nineteen"),
];
const EN_TENS: [Word; 10] = [
    w("", ""),
    w("ten", "ten"),
    w("twenty", "twenty"),
    w("thirty", "thirty"),
    w("forty", "forty"),
    w("fifty", "fifty"),
    w("sixty", "sixty"),
    w("seventy", "seventy"),
    w("eighty", "eighty"),
    w("ninety", "ninety"),
];
const EN_HUNDRED: Word = w("hundred", "hundred");
const EN_THOUSAND: Word = w("thousand", "thousand");
const EN_AND: Word = w("and", "and");

const LETTERS: [(&str, &str); 26] = [
    ("A", "letter_a"),
    ("B", "letter_b"),
    ("C", "letter_c"),
    ("D", "letter_d"),
    ("E", "letter_e"),
    ("F", "letter_f"),
    ("G", "letter_g"),
    ("H", "letter_h"),
    ("I", "letter_i"),
    ("J", "letter_j"),
    ("K", "letter_k"),
    ("L", "letter_l"),
    ("M", "letter_m"),
    ("N", "letter_n"),
    ("O", "letter_o"),
    ("P", "letter_p"),
    ("Q", "letter_q"),
    ("R", "letter_r"),
    ("S", "letter_s"),
    ("T", "letter_t"),
    ("U", "letter_u"),
    ("V", "letter_v"),
    ("W", "letter_w"),
    ("X", "letter_x"),
    ("Y", "letter_y"),
    ("Z", "letter_z"),
];

/// The largest number read as a number; above it, digits are read one by one.
pub const MAX_NUMBER: u32 = 99_999;

/// The words of `n` in `lang`. `dialect` and `four_as_tu` only matter for Vietnamese.
pub fn number_words(n: u32, lang: Lang, dialect: Dialect, four_as_tu: bool) -> Vec<Word> {
    let mut out = Vec::new();
    if n > MAX_NUMBER {
        for d in n.to_string().bytes() {
            let d = usize::from(d - b'0');
            out.push(match lang {
                Lang::Vi => VI_DIGITS[d],
                Lang::En => EN_SMALL[d],
            });
        }
        return out;
    }
    match lang {
        Lang::Vi => vi_number(n, dialect, four_as_tu, &mut out),
        Lang::En => en_number(n, &mut out),
    }
    out
}

/// The words of a printed ticket number such as "1005" or "A005": each letter by its name,
/// then the number (leading zeros are not read: "A005" is "A năm"). Characters that are
/// neither ASCII letters nor digits are ignored; a number with no digits reads its letters only.
pub fn ticket_words(number: &str, lang: Lang, dialect: Dialect, four_as_tu: bool) -> Vec<Word> {
    let mut out = Vec::new();
    let mut digits = String::new();
    for c in number.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c.is_ascii_alphabetic() {
            if !digits.is_empty() {
                out.extend(digits_words(&digits, lang, dialect, four_as_tu));
                digits.clear();
            }
            out.push(letter_word(c));
        }
    }
    if !digits.is_empty() {
        out.extend(digits_words(&digits, lang, dialect, four_as_tu));
    }
    out
}

fn digits_words(digits: &str, lang: Lang, dialect: Dialect, four_as_tu: bool) -> Vec<Word> {
    let trimmed = digits.trim_start_matches('0');
    match trimmed.parse::<u32>() {
        Ok(n) if n <= MAX_NUMBER => number_words(n, lang, dialect, four_as_tu),
        // Only zeros: the number zero.
        _ if trimmed.is_empty() => number_words(0, lang, dialect, four_as_tu),
        // Too long for a number: digit by digit.
        _ => trimmed
            .bytes()
            .map(|d| {
                let d = usize::from(d - b'0');
                match lang {
                    Lang::Vi => VI_DIGITS[d],
                    Lang::En => EN_SMALL[d],
                }
            })
            .collect(),
    }
}

/// The word (and clip) of an ASCII letter; both languages use `letter_<x>` clips.
fn letter_word(c: char) -> Word {
    let upper = c.to_ascii_uppercase();
    let index = (upper as usize).saturating_sub('A' as usize).min(25);
    let (text, clip) = LETTERS[index];
    w(text, clip)
}

/// Every clip [`number_words`] and [`ticket_words`] can produce in `lang` with these settings
/// (letters excluded: see [`letter_clips`]).
pub fn number_clips(lang: Lang, dialect: Dialect, four_as_tu: bool) -> Vec<&'static str> {
    let mut clips: Vec<&'static str> = match lang {
        Lang::Vi => {
            let mut v: Vec<&'static str> = VI_DIGITS.iter().map(|w| w.clip).collect();
            v.extend([
                VI_MOT_SAC.clip,
                VI_LAM.clip,
                VI_MUOI.clip,
                VI_MUOI_NGANG.clip,
            ]);
            v.push(VI_TRAM.clip);
            match dialect {
                Dialect::Bac => v.extend([VI_NGHIN.clip, VI_LINH.clip]),
                Dialect::Nam => v.extend([VI_NGAN.clip, VI_LE.clip]),
            }
            if four_as_tu {
                v.push(VI_TU.clip);
            }
            v
        }
        Lang::En => {
            let mut v: Vec<&'static str> = EN_SMALL.iter().map(|w| w.clip).collect();
            v.extend(EN_TENS[2..].iter().map(|w| w.clip));
            v.extend([EN_HUNDRED.clip, EN_THOUSAND.clip, EN_AND.clip]);
            v
        }
    };
    clips.sort_unstable();
    clips.dedup();
    clips
}

/// The clips of the letters A–Z (the same names in every language).
pub fn letter_clips() -> impl Iterator<Item = &'static str> {
    LETTERS.iter().map(|(_, clip)| *clip)
}

/// The words joined as written: spaces, and in English a hyphen inside "thirty-four".
pub fn text(words: &[Word]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Word> = None;
    for word in words {
        if let Some(p) = prev {
            let hyphen = EN_TENS[2..].iter().any(|t| t.clip == p.clip)
                && EN_SMALL[1..10].iter().any(|u| u.clip == word.clip);
            out.push(if hyphen { '-' } else { ' ' });
        }
        out.push_str(word.text);
        prev = Some(word);
    }
    out
}

fn vi_number(n: u32, dialect: Dialect, four_as_tu: bool, out: &mut Vec<Word>) {
    if n == 0 {
        out.push(VI_DIGITS[0]);
        return;
    }
    let thousands = n / 1000;
    let rest = n % 1000;
    if thousands > 0 {
        vi_below_1000(thousands, false, dialect, four_as_tu, out);
        out.push(match dialect {
            Dialect::Bac => VI_NGHIN,
            Dialect::Nam => VI_NGAN,
        });
        if rest > 0 {
            vi_below_1000(rest, true, dialect, four_as_tu, out);
        }
    } else {
        vi_below_1000(rest, false, dialect, four_as_tu, out);
    }
}

/// 1–999; `full` (after a thousands) always says the hundreds, "không trăm" included.
fn vi_below_1000(m: u32, full: bool, dialect: Dialect, four_as_tu: bool, out: &mut Vec<Word>) {
    let h = (m / 100) as usize;
    let t = ((m / 10) % 10) as usize;
    let u = (m % 10) as usize;
    let has_hundreds = h > 0 || full;
    if has_hundreds {
        out.push(VI_DIGITS[h]);
        out.push(VI_TRAM);
    }
    match t {
        0 => {
            if u > 0 {
                if has_hundreds {
                    out.push(match dialect {
                        Dialect::Bac => VI_LINH,
                        Dialect::Nam => VI_LE,
                    });
                }
                out.push(VI_DIGITS[u]);
            }
        }
        1 => {
            out.push(VI_MUOI);
            match u {
                0 => {}
                5 => out.push(VI_LAM),
                _ => out.push(VI_DIGITS[u]),
            }
        }
        _ => {
            out.push(VI_DIGITS[t]);
            out.push(VI_MUOI_NGANG);
            match u {
                0 => {}
                1 => out.push(VI_MOT_SAC),
                4 if four_as_tu => out.push(VI_TU),
                5 => out.push(VI_LAM),
                _ => out.push(VI_DIGITS[u]),
            }
        }
    }
}

fn en_number(n: u32, out: &mut Vec<Word>) {
    if n == 0 {
        out.push(EN_SMALL[0]);
        return;
    }
    let thousands = n / 1000;
    let rest = n % 1000;
    if thousands > 0 {
        en_below_100(thousands, out);
        out.push(EN_THOUSAND);
    }
    let h = rest / 100;
    let below = rest % 100;
    if h > 0 {
        out.push(EN_SMALL[h as usize]);
        out.push(EN_HUNDRED);
    }
    if below > 0 {
        if thousands > 0 || h > 0 {
            out.push(EN_AND);
        }
        en_below_100(below, out);
    }
}

/// 1–99.
fn en_below_100(n: u32, out: &mut Vec<Word>) {
    if n < 20 {
        out.push(EN_SMALL[n as usize]);
    } else {
        out.push(EN_TENS[(n / 10) as usize]);
        let unit = (n % 10) as usize;
        if unit > 0 {
            out.push(EN_SMALL[unit]);
        }
    }
}

#[cfg(test)]
#[path = "words_tests.rs"]
mod tests;
