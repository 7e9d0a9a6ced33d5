//! The drawing surface of a ticket (8-bit ink coverage, 0 = paper, 255 = black) and the
//! 1-bit raster it becomes for the printer: rows of `width / 8` bytes, most significant bit
//! leftmost, 1 = a dot burnt (ESC/POS `GS v 0` order). A PNG of the raster is what
//! `xephang print-test --png` and the tests save.

use std::io::Write;

/// Coverage at or above this prints as a dot. Below half, so the thin strokes and the
/// diacritics of small text stay whole on a 203 dpi head.
const THRESHOLD: u8 = 100;

/// An ink coverage canvas of fixed width that grows downwards as it is drawn on.
pub struct Canvas {
    pub width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32) -> Canvas {
        Canvas {
            width,
            height: 0,
            pixels: Vec::with_capacity(width as usize * 1200),
        }
    }

    /// Makes sure rows up to `rows` (exclusive) exist.
    fn grow(&mut self, rows: u32) {
        if rows > self.height {
            self.height = rows;
            self.pixels.resize(self.width as usize * rows as usize, 0);
        }
    }

    /// Copies a glyph's coverage at (`left`, `top`); `ink` darkens, otherwise it lightens
    /// (white text on a black band). Parts outside the paper are clipped.
    pub fn blit(&mut self, left: i64, top: i64, w: usize, h: usize, cov: &[u8], ink: bool) {
        if h == 0 || w == 0 {
            return;
        }
        let bottom = top + h as i64;
        if bottom > 0 {
            self.grow(u32::try_from(bottom).unwrap_or(u32::MAX));
        }
        let width = i64::from(self.width);
        for row in 0..h {
            let y = top + row as i64;
            if y < 0 {
                continue;
            }
            for col in 0..w {
                let x = left + col as i64;
                if !(0..width).contains(&x) {
                    continue;
                }
                let c = cov[row * w + col];
                let dst = &mut self.pixels[(y * width + x) as usize];
                *dst = if ink {
                    (*dst).max(c)
                } else {
                    (*dst).min(255 - c)
                };
            }
        }
    }

    /// Fills a rectangle with black.
    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32) {
        self.grow(y + h);
        let x_end = (x + w).min(self.width);
        for row in y..y + h {
            let start = (row * self.width) as usize;
            self.pixels[start + x as usize..start + x_end as usize].fill(255);
        }
    }

    /// The 1-bit raster, `height` rows tall (blank rows added or trimmed).
    pub fn to_raster(&self, height: u32) -> Raster {
        let stride = (self.width / 8) as usize;
        let mut bits = vec![0u8; stride * height as usize];
        let rows = height.min(self.height) as usize;
        let w = self.width as usize;
        for y in 0..rows {
            let src = &self.pixels[y * w..(y + 1) * w];
            let dst = &mut bits[y * stride..(y + 1) * stride];
            for (x, &c) in src.iter().enumerate() {
                if c >= THRESHOLD {
                    dst[x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        Raster {
            width: self.width,
            height,
            bits,
        }
    }
}

/// A ticket as the printer burns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    /// Dots across (576 on 80 mm paper, 384 on 58 mm), a multiple of 8.
    pub width: u32,
    pub height: u32,
    /// `height` rows of `width / 8` bytes; MSB = leftmost dot; 1 = black.
    pub bits: Vec<u8>,
}

impl Raster {
    /// Bytes per row.
    pub fn stride(&self) -> usize {
        (self.width / 8) as usize
    }

    /// Whether the dot at (x, y) is black.
    pub fn black(&self, x: u32, y: u32) -> bool {
        let i = y as usize * self.stride() + (x / 8) as usize;
        self.bits[i] & (0x80 >> (x % 8)) != 0
    }

    /// 8-bit greyscale (0 = black, 255 = paper), `scale` times larger in each direction.
    pub fn to_grey(&self, scale: u32) -> Vec<u8> {
        let (w, h) = (self.width * scale, self.height * scale);
        let mut out = Vec::with_capacity((w * h) as usize);
        for y in 0..h {
            for x in 0..w {
                out.push(if self.black(x / scale, y / scale) {
                    0
                } else {
                    255
                });
            }
        }
        out
    }

    /// The raster as a greyscale PNG, `scale` times larger.
    pub fn write_png(&self, out: impl Write, scale: u32) -> Result<(), png::EncodingError> {
        let scale = scale.max(1);
        let mut enc = png::Encoder::new(out, self.width * scale, self.height * scale);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header()?;
        w.write_image_data(&self.to_grey(scale))?;
        w.finish()
    }
}
