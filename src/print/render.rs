//! Draws a ticket as the 1-bit raster a thermal printer burns, at the paper's width (576 dots
//! on 80 mm, 384 on 58 mm; 203 dpi). Sending an image rather than text is what makes the
//! Vietnamese diacritics come out right on every printer, whatever its code pages.
//!
//! Top to bottom: centre name, a rule, the service (Vietnamese, then English), "your
//! number", the number as large as the paper allows, the priority class or appointment time
//! on a black band, the facts (time, people ahead, estimated wait), the QR code of the
//! ticket's page, how to use it, and the centre's footer.

use qrcode::{Color, EcLevel, QrCode};

use super::canvas::{Canvas, Raster};
use super::content::TicketContent;
use super::font::{fonts, Face, Weight};
use super::target::Paper;

/// Why a ticket could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("font: {0}")]
    Font(String),
    #[error("QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
}

/// Where the next thing goes, and the drawing state.
struct Pen<'a> {
    canvas: Canvas,
    y: f32,
    /// Pixels per "80 mm pixel": every size below is for 576 dots and scales.
    k: f32,
    regular: &'a Face,
    bold: &'a Face,
}

impl<'a> Pen<'a> {
    fn face(&self, w: Weight) -> &'a Face {
        match w {
            Weight::Regular => self.regular,
            Weight::Bold => self.bold,
        }
    }

    fn width(&self) -> f32 {
        self.canvas.width as f32
    }

    /// Centred text, wrapped to the paper, at `px` (for 80 mm).
    fn centred(&mut self, text: &str, px: f32, w: Weight, gap: f32) {
        let px = px * self.k;
        let margin = 10.0 * self.k;
        let face = self.face(w);
        let lines = face.wrap(text, px, self.width() - 2.0 * margin);
        let (ascent, descent) = face.extents(px);
        let mut y = self.y;
        for line in lines {
            let x = ((self.width() - line.width) / 2.0).max(0.0);
            face.draw(&mut self.canvas, &line, x, y + ascent, true);
            y += (ascent + descent) * 1.05;
        }
        self.y = y + gap * self.k;
    }

    fn rule(&mut self, gap: f32) {
        let h = (2.0 * self.k).max(1.0) as u32;
        let m = (24.0 * self.k) as u32;
        self.canvas
            .fill(m, self.y as u32, self.canvas.width - 2 * m, h);
        self.y += h as f32 + gap * self.k;
    }
}

/// Draws `t` for `paper`.
pub fn render(t: &TicketContent, paper: Paper) -> Result<Raster, RenderError> {
    let f = fonts().map_err(RenderError::Font)?;
    let width = paper.dots();
    let mut pen = Pen {
        canvas: Canvas::new(width),
        y: 14.0,
        // Text shrinks less than the paper: 58 mm tickets stay readable (lines wrap).
        k: (width as f32 / 576.0).max(0.8),
        regular: f.face(Weight::Regular),
        bold: f.face(Weight::Bold),
    };
    pen.centred(&t.centre, 25.0, Weight::Regular, 10.0);
    pen.rule(14.0);
    pen.centred(&t.service, 40.0, Weight::Bold, 2.0);
    if let Some(en) = &t.service_en {
        pen.centred(en, 26.0, Weight::Regular, 4.0);
    }
    pen.y += 8.0 * pen.k;
    pen.centred("SỐ THỨ TỰ · YOUR NUMBER", 22.0, Weight::Regular, 0.0);
    number(&mut pen, &t.number);
    if let Some(class) = &t.class {
        band(&mut pen, class);
    }
    facts(&mut pen, t);
    qr(&mut pen, &t.url)?;
    pen.centred(
        "Quét mã QR để theo dõi lượt của bạn",
        21.0,
        Weight::Regular,
        0.0,
    );
    pen.centred("Scan to follow your turn", 20.0, Weight::Regular, 10.0);
    pen.rule(10.0);
    pen.centred(&t.footer, 21.0, Weight::Regular, 0.0);
    let height = (pen.y + 24.0 * pen.k).ceil() as u32;
    Ok(pen.canvas.to_raster(height))
}

/// The number, as large as fits: at most 200 px tall digits on 80 mm paper.
fn number(pen: &mut Pen<'_>, text: &str) {
    let max_w = pen.width() * 0.92;
    let mut px = 210.0 * pen.k;
    let mut line = pen.bold.line(text, px);
    if line.width > max_w {
        px *= max_w / line.width;
        line = pen.bold.line(text, px);
    }
    let (ascent, _) = pen.bold.extents(px);
    // Digits reach about 0.72 of the ascent: draw tight above and below them.
    let digits = ascent * 0.74;
    let baseline = pen.y + digits + 6.0 * pen.k;
    let x = (pen.width() - line.width) / 2.0;
    let canvas = &mut pen.canvas;
    pen.bold.draw(canvas, &line, x, baseline, true);
    pen.y = baseline + 22.0 * pen.k;
}

/// White text on a black band (the priority class or the appointment time).
fn band(pen: &mut Pen<'_>, text: &str) {
    let px = 25.0 * pen.k;
    let margin = 16.0 * pen.k;
    let lines = pen.bold.wrap(text, px, pen.width() - 4.0 * margin);
    let (ascent, descent) = pen.bold.extents(px);
    let line_h = (ascent + descent) * 1.05;
    let pad = 8.0 * pen.k;
    let h = lines.len() as f32 * line_h + 2.0 * pad;
    let top = pen.y;
    pen.canvas.fill(
        margin as u32,
        top as u32,
        (pen.width() - 2.0 * margin) as u32,
        h.ceil() as u32,
    );
    let mut y = top + pad;
    for line in &lines {
        let x = (pen.width() - line.width) / 2.0;
        pen.bold.draw(&mut pen.canvas, line, x, y + ascent, false);
        y += line_h;
    }
    pen.y = top + h + 14.0 * pen.k;
}

/// Label on the left, value on the right; one under the other when both do not fit.
fn facts(pen: &mut Pen<'_>, t: &TicketContent) {
    let mut rows = vec![("Giờ lấy số · Time", t.issued.clone())];
    if let Some(n) = t.ahead {
        rows.push(("Người chờ trước · Ahead", n.to_string()));
    }
    rows.push(("Chờ dự kiến · Est. wait", t.wait.clone()));
    let (lpx, vpx) = (21.0 * pen.k, 24.0 * pen.k);
    let margin = 20.0 * pen.k;
    let room = pen.width() - 2.0 * margin;
    let (la, ld) = pen.regular.extents(lpx);
    let (va, vd) = pen.bold.extents(vpx);
    for (label, value) in rows {
        let l = pen.regular.line(label, lpx);
        let v = pen.bold.line(&value, vpx);
        if l.width + v.width + 16.0 * pen.k <= room {
            let baseline = pen.y + va.max(la);
            pen.regular
                .draw(&mut pen.canvas, &l, margin, baseline, true);
            let vx = pen.width() - margin - v.width;
            pen.bold.draw(&mut pen.canvas, &v, vx, baseline, true);
            pen.y = baseline + vd.max(ld) + 6.0 * pen.k;
        } else {
            let baseline = pen.y + la;
            pen.regular
                .draw(&mut pen.canvas, &l, margin, baseline, true);
            let lines = pen.bold.wrap(&value, vpx, room);
            let mut y = baseline + ld;
            for v in &lines {
                let vx = pen.width() - margin - v.width;
                pen.bold
                    .draw(&mut pen.canvas, v, vx.max(margin), y + va, true);
                y += va + vd;
            }
            pen.y = y + 6.0 * pen.k;
        }
    }
    pen.y += 8.0 * pen.k;
}

/// The QR code of the ticket's page, about 30 mm wide on 80 mm paper.
fn qr(pen: &mut Pen<'_>, url: &str) -> Result<(), RenderError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)?;
    let modules = code.width() as u32;
    let target = (240.0 * pen.k).max(150.0);
    let scale = ((target / modules as f32).floor() as u32).max(3);
    let size = modules * scale;
    let left = (pen.canvas.width.saturating_sub(size)) / 2;
    let top = pen.y as u32;
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i as u32 % modules, i as u32 / modules);
            pen.canvas
                .fill(left + x * scale, top + y * scale, scale, scale);
        }
    }
    // The quiet zone below it is paper anyway; keep 4 modules clear before the text.
    pen.y = (top + size + 3 * scale) as f32;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::content::sample;

    fn qr_of(r: &Raster) -> String {
        let grey = r.to_grey(1);
        let w = r.width as usize;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, r.height as usize, |x, y| {
            grey[y * w + x]
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().expect("decodes").1
    }

    #[test]
    fn tickets_are_paper_wide_and_their_qr_reads_back() {
        let url = "http://192.168.1.10:8080/t/01JDEMO0000000000000000000";
        let t = sample(
            "Trung tâm Phục vụ hành chính công tỉnh Demo",
            "Cảm ơn quý khách",
            url,
        );
        for (paper, width) in [(Paper::Mm80, 576), (Paper::Mm58, 384)] {
            let r = render(&t, paper).expect("renders");
            assert_eq!(r.width, width);
            assert_eq!(r.bits.len(), r.stride() * r.height as usize);
            assert!((500..1600).contains(&r.height), "height {}", r.height);
            assert_eq!(qr_of(&r), url);
            // Some ink, mostly paper.
            let black = r
                .bits
                .iter()
                .map(|b| b.count_ones() as usize)
                .sum::<usize>();
            let share = black as f64 / (r.width * r.height) as f64;
            assert!((0.05..0.5).contains(&share), "ink share {share}");
        }
    }

    #[test]
    fn text_in_decomposed_form_draws_like_precomposed() {
        let url = "http://h/t/1";
        let mut a = sample("Trung tâm", "x", url);
        let mut b = a.clone();
        a.service = "Hộ tịch".into();
        // "Hộ tịch" with combining marks (o + circumflex + dot below, i + dot below).
        b.service = "Ho\u{302}\u{323} ti\u{323}ch".into();
        let (ra, rb) = (
            render(&a, Paper::Mm80).expect("a"),
            render(&b, Paper::Mm80).expect("b"),
        );
        assert_eq!(ra, rb, "NFC before glyph look-up");
    }
}
