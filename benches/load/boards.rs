//! N WebSocket board clients, the same code against the daemon and against the floor
//! server: each reads its first message (the snapshot), then notes the arrival time of
//! every `ticket_called` frame, keyed by the called number. The socket loop is
//! [`super::sockets`]'s; what a board keeps is [`BoardLog`].

use super::sockets::{Sockets, Watch};

/// A called number as a map key: its bytes packed into a u64 (numbers are ≤ 8 bytes:
/// "1005", "A005"); longer ones are hashed.
pub fn key_of(number: &str) -> u64 {
    let b = number.as_bytes();
    if b.len() <= 7 {
        let mut k = [0u8; 8];
        k[..b.len()].copy_from_slice(b);
        k[7] = b.len() as u8;
        u64::from_le_bytes(k)
    } else {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        number.hash(&mut h);
        h.finish() | (1 << 63)
    }
}

/// The called number in a `ticket_called` frame, without parsing the whole JSON.
pub fn called_number(text: &str) -> Option<&str> {
    if !text.contains("\"ticket_called\"") {
        return None;
    }
    let at = text.find("\"number\":\"")? + 10;
    let len = text[at..].find('"')?;
    Some(&text[at..at + len])
}

/// What one socket saw.
#[derive(Debug, Default)]
pub struct BoardLog {
    /// (key of the called number, arrival in ns of [`super::daemon::now_ns`]).
    pub called: Vec<(u64, u64)>,
    /// Frames and bytes after the first message.
    pub frames: u64,
    pub bytes: u64,
    /// How the socket ended, if the server ended it.
    pub ended: Option<String>,
    /// Socket 0 only: one `ticket_called` frame as received (the floor copies its size).
    pub sample_called: Option<String>,
    /// Whether this socket keeps [`BoardLog::sample_called`].
    keeps_sample: bool,
}

impl Watch for BoardLog {
    fn text(&mut self, text: &str, at: u64) -> bool {
        self.frames += 1;
        self.bytes += text.len() as u64;
        let Some(number) = called_number(text) else {
            return false;
        };
        self.called.push((key_of(number), at));
        if self.keeps_sample && self.sample_called.is_none() {
            self.sample_called = Some(text.to_string());
        }
        true
    }

    fn ended(&mut self, why: String) {
        self.ended = Some(why);
    }
}

/// A set of connected board sockets.
pub type Boards = Sockets<BoardLog>;

impl Sockets<BoardLog> {
    /// Connects `n` sockets and returns once every one has its first message.
    pub async fn connect(url: &str, n: usize) -> Result<Boards, String> {
        let watch = |i: usize| BoardLog {
            keeps_sample: i == 0,
            ..BoardLog::default()
        };
        Sockets::open_all(n, |_| url.to_string(), watch, 100, "sockets").await
    }
}
