//! The bytes an ESC/POS thermal printer takes: initialise (`ESC @`), the raster in bands
//! (`GS v 0`), feed (`ESC d`), partial cut (`GS V 1`); and the real-time status query
//! (`DLE EOT n`) with the meaning of its one-byte answers.

use super::canvas::Raster;

/// `ESC @`: initialise the printer (clears its buffer and modes).
pub const INIT: [u8; 2] = [0x1B, 0x40];
/// Rows per `GS v 0` command: printers take bands far more reliably than one tall image.
pub const BAND_ROWS: u32 = 256;
/// Lines fed after the image, so the cut falls below it (the cutter sits above the head).
pub const FEED_LINES: u8 = 5;
/// `GS V 1`: partial cut (one point left uncut, the ticket does not fall).
pub const PARTIAL_CUT: [u8; 3] = [0x1D, 0x56, 0x01];
/// `DLE EOT 1` (printer status: offline?) then `DLE EOT 4` (paper roll sensor).
pub const STATUS_QUERY: [u8; 6] = [0x10, 0x04, 0x01, 0x10, 0x04, 0x04];

/// The print job of one ticket.
pub fn encode(r: &Raster) -> Vec<u8> {
    let stride = r.stride();
    let mut out = Vec::with_capacity(r.bits.len() + 64);
    out.extend_from_slice(&INIT);
    let mut y = 0;
    while y < r.height {
        let rows = BAND_ROWS.min(r.height - y);
        let x_bytes = stride as u16;
        out.extend_from_slice(&[0x1D, 0x76, 0x30, 0x00]);
        out.extend_from_slice(&x_bytes.to_le_bytes());
        out.extend_from_slice(&(rows as u16).to_le_bytes());
        let start = y as usize * stride;
        out.extend_from_slice(&r.bits[start..start + rows as usize * stride]);
        y += rows;
    }
    out.extend_from_slice(&[0x1B, 0x64, FEED_LINES]);
    out.extend_from_slice(&PARTIAL_CUT);
    out
}

/// What the two status bytes of [`STATUS_QUERY`] say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    /// The printer says it is offline (cover open, paper out, error).
    pub offline: bool,
    /// The paper roll is nearly used up (it still prints).
    pub paper_low: bool,
    /// No paper.
    pub paper_out: bool,
}

/// A real-time status byte: bits 1 and 4 set, bits 0 and 7 clear.
fn well_formed(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0010
}

/// Reads the answers to [`STATUS_QUERY`]: `printer` (n = 1) and `paper` (n = 4). None when
/// either is not a status byte (something else answered on that port).
pub fn parse_status(printer: u8, paper: u8) -> Option<Status> {
    if !well_formed(printer) || !well_formed(paper) {
        return None;
    }
    Some(Status {
        offline: printer & 0x08 != 0,
        paper_low: paper & 0x0C != 0,
        paper_out: paper & 0x60 != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raster_becomes_init_bands_feed_and_cut() {
        let r = Raster {
            width: 16,
            height: 300,
            bits: (0..600).map(|i| i as u8).collect(),
        };
        let b = encode(&r);
        assert_eq!(&b[..2], &INIT);
        // First band: 256 rows of 2 bytes.
        assert_eq!(&b[2..10], &[0x1D, 0x76, 0x30, 0, 2, 0, 0, 1]);
        let second = 10 + 512;
        assert_eq!(&b[second..second + 8], &[0x1D, 0x76, 0x30, 0, 2, 0, 44, 0]);
        assert_eq!(&b[second + 8..second + 8 + 88], &r.bits[512..600]);
        assert_eq!(
            &b[b.len() - 6..],
            &[0x1B, 0x64, FEED_LINES, 0x1D, 0x56, 0x01]
        );
    }

    #[test]
    fn status_bytes() {
        assert_eq!(parse_status(0x12, 0x12), Some(Status::default()));
        let out = parse_status(0x1A, 0x72).expect("status");
        assert!(out.offline && out.paper_out);
        let low = parse_status(0x12, 0x1E).expect("status");
        assert!(low.paper_low && !low.paper_out && !low.offline);
        assert_eq!(parse_status(0x00, 0x12), None);
        assert_eq!(parse_status(0x12, 0xFF), None);
    }
}
