//! Text on a printed ticket: the screens' font (Be Vietnam Pro, embedded as TrueType, see
//! `fonts/README.md`) rasterized by fontdue into an 8-bit coverage canvas. The font comes in
//! three subsets (latin, latin-ext, vietnamese); each character is drawn from the first
//! subset that has it. Text is put in NFC first, so a name typed with combining accents
//! (`e` + U+0302 + U+0301) uses the precomposed glyph (`ế`) and its diacritics sit right.

use std::sync::OnceLock;

use fontdue::{Font, FontSettings};
use unicode_normalization::UnicodeNormalization;

use super::canvas::Canvas;

const REGULAR: [&[u8]; 3] = [
    include_bytes!("fonts/be-vietnam-pro-latin-400-normal.ttf"),
    include_bytes!("fonts/be-vietnam-pro-vietnamese-400-normal.ttf"),
    include_bytes!("fonts/be-vietnam-pro-latin-ext-400-normal.ttf"),
];
const BOLD: [&[u8]; 3] = [
    include_bytes!("fonts/be-vietnam-pro-latin-800-normal.ttf"),
    include_bytes!("fonts/be-vietnam-pro-vietnamese-800-normal.ttf"),
    include_bytes!("fonts/be-vietnam-pro-latin-ext-800-normal.ttf"),
];

/// Regular (400) or extra bold (800).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// One weight: its subsets, in look-up order.
pub struct Face {
    subsets: Vec<Font>,
}

/// Both weights, parsed once.
pub struct Fonts {
    regular: Face,
    bold: Face,
}

/// The embedded fonts (parsed on first use; an error means a damaged build).
pub fn fonts() -> Result<&'static Fonts, String> {
    static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let face = |files: [&[u8]; 3]| -> Result<Face, String> {
                let subsets = files
                    .iter()
                    .map(|b| Font::from_bytes(*b, FontSettings::default()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("embedded font: {e}"))?;
                Ok(Face { subsets })
            };
            Ok(Fonts {
                regular: face(REGULAR)?,
                bold: face(BOLD)?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

impl Fonts {
    pub fn face(&self, w: Weight) -> &Face {
        match w {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// A glyph placed on a line: which subset, which glyph, its pen position.
struct Placed {
    subset: usize,
    glyph: u16,
    x: f32,
}

/// A line of text laid out at one size.
pub struct Line {
    glyphs: Vec<Placed>,
    pub width: f32,
    pub px: f32,
}

impl Face {
    /// The subset and glyph index drawing `c` (the first subset's .notdef when none has it).
    fn lookup(&self, c: char) -> (usize, u16) {
        for (i, f) in self.subsets.iter().enumerate() {
            let g = f.lookup_glyph_index(c);
            if g != 0 {
                return (i, g);
            }
        }
        (0, 0)
    }

    /// Ascent and descent (positive, in pixels) at `px`.
    pub fn extents(&self, px: f32) -> (f32, f32) {
        self.subsets[0]
            .horizontal_line_metrics(px)
            .map_or((px * 0.95, px * 0.25), |m| (m.ascent, -m.descent))
    }

    /// Lays `text` out on one line (NFC, kerning within a subset).
    pub fn line(&self, text: &str, px: f32) -> Line {
        let mut glyphs = Vec::new();
        let mut x = 0.0f32;
        let mut prev: Option<(usize, u16)> = None;
        for c in text.nfc() {
            if c.is_control() {
                continue;
            }
            let (subset, glyph) = self.lookup(c);
            let font = &self.subsets[subset];
            if let Some((ps, pg)) = prev {
                if ps == subset {
                    x += font.horizontal_kern_indexed(pg, glyph, px).unwrap_or(0.0);
                }
            }
            glyphs.push(Placed { subset, glyph, x });
            x += font.metrics_indexed(glyph, px).advance_width;
            prev = Some((subset, glyph));
        }
        Line {
            glyphs,
            width: x,
            px,
        }
    }

    /// Splits `text` into lines no wider than `max` (at spaces; a single word wider than the
    /// paper is left whole and clipped by the caller's centring).
    pub fn wrap(&self, text: &str, px: f32, max: f32) -> Vec<Line> {
        let mut out = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if !current.is_empty() && self.line(&candidate, px).width > max {
                out.push(self.line(&current, px));
                current = word.to_string();
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            out.push(self.line(&current, px));
        }
        out
    }

    /// Draws `line` with its baseline at `baseline`, its pen starting at `x`. `ink`: black
    /// text; otherwise white text (on a black band).
    pub fn draw(&self, canvas: &mut Canvas, line: &Line, x: f32, baseline: f32, ink: bool) {
        for p in &line.glyphs {
            let font = &self.subsets[p.subset];
            let (m, bitmap) = font.rasterize_indexed(p.glyph, line.px);
            let left = (x + p.x).round() as i64 + i64::from(m.xmin);
            let top = baseline.round() as i64 - i64::from(m.ymin) - m.height as i64;
            canvas.blit(left, top, m.width, m.height, &bitmap, ink);
        }
    }
}
