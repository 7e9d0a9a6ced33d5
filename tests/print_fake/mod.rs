//! A fake ESC/POS network printer for the print tests and the print benchmark: a TCP
//! listener on 127.0.0.1 that records every connection's bytes and answers the real-time
//! status queries (`DLE EOT n`) as told — ready, paper low, paper out, never (stall), or by
//! closing the connection at once. Also an ESC/POS reader that refuses anything but the
//! sequence a ticket must be (status queries, `ESC @`, `GS v 0` bands of one width, `ESC d`,
//! `GS V 1`), the QR reader (rqrr) and the OCR (Debian's tesseract with its Vietnamese data).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the fake printer behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ready,
    PaperLow,
    PaperOut,
    /// Reads everything, answers nothing.
    Stall,
    /// Closes each connection as soon as it is accepted.
    Close,
}

/// One connection as the printer saw it.
#[derive(Debug, Clone)]
pub struct Connection {
    pub bytes: Vec<u8>,
    /// When its last byte arrived (or when it was accepted, for none).
    pub last_byte: Instant,
}

pub struct FakePrinter {
    pub addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    done: Arc<Mutex<Vec<Connection>>>,
    stop: Arc<AtomicBool>,
}

impl FakePrinter {
    pub fn start(mode: Mode) -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake printer");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let mode = Arc::new(Mutex::new(mode));
        let done = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, d, s) = (mode.clone(), done.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (m, d, s) = (m.clone(), d.clone(), s.clone());
                        std::thread::spawn(move || serve(conn, m, d, s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FakePrinter {
            addr,
            mode,
            done,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Connections that have ended, in order.
    pub fn connections(&self) -> Vec<Connection> {
        self.done.lock().unwrap().clone()
    }

    /// The tickets printed so far (connections that carried a job), parsed.
    pub fn jobs(&self) -> Vec<(Job, Instant)> {
        self.connections()
            .into_iter()
            .filter_map(|c| parse(&c.bytes).map(|j| (j, c.last_byte)))
            .collect()
    }

    /// When the `n`-th (0-based) connection that carried more than status queries ended
    /// its last byte, if it has ended.
    pub fn job_done(&self, n: usize) -> Option<Instant> {
        let done = self.done.lock().unwrap();
        done.iter()
            .filter(|c| c.bytes.len() > 12)
            .nth(n)
            .map(|c| c.last_byte)
    }

    /// Waits until `n` jobs have been printed (panics after `limit`).
    pub fn wait_jobs(&self, n: usize, limit: Duration) -> Vec<Job> {
        let until = Instant::now() + limit;
        loop {
            let jobs = self.jobs();
            if jobs.len() >= n {
                return jobs.into_iter().map(|(j, _)| j).collect();
            }
            assert!(
                Instant::now() < until,
                "{} jobs printed, {n} expected",
                jobs.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    mut c: TcpStream,
    mode: Arc<Mutex<Mode>>,
    done: Arc<Mutex<Vec<Connection>>>,
    stop: Arc<AtomicBool>,
) {
    let accepted = Instant::now();
    let m = *mode.lock().unwrap();
    if m == Mode::Close {
        drop(c);
        done.lock().unwrap().push(Connection {
            bytes: Vec::new(),
            last_byte: accepted,
        });
        return;
    }
    let _ = c.set_read_timeout(Some(Duration::from_millis(50)));
    let mut bytes = Vec::new();
    let mut last_byte = accepted;
    let mut answered = 0usize; // bytes of `bytes` already scanned for status queries
    let mut buf = [0u8; 16 * 1024];
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                last_byte = Instant::now();
                // Answer `DLE EOT n` until the job starts (`ESC @`).
                while m != Mode::Stall && answered + 3 <= bytes.len() && bytes[answered] == 0x10 {
                    let n = bytes[answered + 2];
                    let answer = match (m, n) {
                        (Mode::PaperOut, 1) => 0x1A,
                        (Mode::PaperOut, 4) => 0x72,
                        (Mode::PaperLow, 4) => 0x1E,
                        _ => 0x12,
                    };
                    let _ = c.write_all(&[answer]);
                    answered += 3;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    done.lock().unwrap().push(Connection { bytes, last_byte });
}

/// One printed ticket, read back from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub status_queries: usize,
    pub width: u32,
    pub height: u32,
    /// 1-bit rows, MSB leftmost, 1 = black.
    pub bits: Vec<u8>,
    pub bands: usize,
}

impl Job {
    pub fn black(&self, x: u32, y: u32) -> bool {
        let i = (y * self.width / 8 + x / 8) as usize;
        self.bits[i] & (0x80 >> (x % 8)) != 0
    }

    /// Greyscale, `scale` times larger (0 black, 255 paper).
    pub fn grey(&self, scale: u32) -> Vec<u8> {
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

    /// Saves the ticket as a PNG, `scale` times larger.
    pub fn save_png(&self, path: &Path, scale: u32) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let f = std::fs::File::create(path).unwrap();
        let mut enc = png::Encoder::new(
            std::io::BufWriter::new(f),
            self.width * scale,
            self.height * scale,
        );
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&self.grey(scale)).unwrap();
        w.finish().unwrap();
    }

    /// The text of the QR code on the ticket.
    pub fn qr(&self) -> String {
        let grey = self.grey(1);
        let w = self.width as usize;
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(w, self.height as usize, |x, y| {
                grey[y * w + x]
            });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code on the ticket");
        let (_, text) = grids[0].decode().expect("the QR code decodes");
        text
    }
}

/// Reads one connection's bytes as a ticket job. None: status queries only (no job).
/// Panics on anything that is not the expected sequence.
pub fn parse(b: &[u8]) -> Option<Job> {
    let (job, used) = parse_prefix(b);
    assert_eq!(used, b.len(), "bytes after the cut");
    job
}

/// Reads the first job of `b`: the job (None: status queries only) and the bytes it took.
fn parse_prefix(b: &[u8]) -> (Option<Job>, usize) {
    let mut i = 0;
    let mut status_queries = 0;
    while i + 3 <= b.len() && b[i] == 0x10 {
        assert_eq!(b[i + 1], 0x04, "DLE not followed by EOT at {i}");
        assert!(matches!(b[i + 2], 1..=4), "DLE EOT {} at {i}", b[i + 2]);
        status_queries += 1;
        i += 3;
    }
    if i == b.len() {
        return (None, i);
    }
    assert_eq!(&b[i..i + 2], &[0x1B, 0x40], "ESC @ first at {i}");
    i += 2;
    let (mut width, mut height, mut bits, mut bands) = (0u32, 0u32, Vec::new(), 0);
    while b[i..].starts_with(&[0x1D, 0x76, 0x30]) {
        assert_eq!(b[i + 3], 0, "GS v 0 mode normal");
        let x = u16::from_le_bytes([b[i + 4], b[i + 5]]) as u32;
        let y = u16::from_le_bytes([b[i + 6], b[i + 7]]) as u32;
        assert!(x > 0 && y > 0, "empty band");
        if bands > 0 {
            assert_eq!(x * 8, width, "bands of one width");
        }
        width = x * 8;
        let n = (x * y) as usize;
        i += 8;
        assert!(i + n <= b.len(), "band data cut short");
        bits.extend_from_slice(&b[i..i + n]);
        i += n;
        height += y;
        bands += 1;
    }
    assert!(bands > 0, "no raster");
    assert_eq!(&b[i..i + 2], &[0x1B, 0x64], "ESC d (feed) after the raster");
    i += 3;
    assert_eq!(
        &b[i..i + 3],
        &[0x1D, 0x56, 0x01],
        "GS V 1 (partial cut) last"
    );
    let job = Job {
        status_queries,
        width,
        height,
        bits,
        bands,
    };
    (Some(job), i + 3)
}

/// Reads a file of jobs appended one after the other (`file:` printers) into jobs.
pub fn parse_appended(b: &[u8]) -> Vec<Job> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < b.len() {
        let (job, used) = parse_prefix(&b[start..]);
        out.push(job.expect("a job, not status queries, in a file"));
        start += used;
    }
    out
}

/// Runs Debian's tesseract (Vietnamese) on the ticket scaled 2×: the text, lower case, NFC,
/// spaces collapsed.
pub fn ocr(job: &Job, png: &Path) -> String {
    job.save_png(png, 2);
    let out = std::process::Command::new("tesseract")
        .arg(png)
        .arg("stdout")
        .args(["-l", "vie", "--psm", "4"])
        .output()
        .expect("tesseract runs (Debian: tesseract-ocr tesseract-ocr-vie, see .ci/deps.sh)");
    assert!(
        out.status.success(),
        "tesseract: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    normalize(&String::from_utf8_lossy(&out.stdout))
}

/// Lower case, NFC (by composing the few combining marks tesseract may emit), one space.
pub fn normalize(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc()
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
