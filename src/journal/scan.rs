//! Reading a day file's bytes line by line: the one function that decides how long the
//! intact prefix is and what is wrong right after it. Start-up recovery, readers of past days,
//! the compaction's read-back and `xephang journal check` / `repair` ([`super::repair`]) all go
//! through [`scan`], so they can never disagree about a file.
//!
//! The rules: a line is `<crc32> <json>\n` whose checksum matches and whose `seq` is the
//! previous line's plus one. The first line breaking them ends the intact prefix. When that
//! line is the file's last one and only its bytes are wrong (no newline, a checksum or JSON
//! that does not match), it is a torn write — cut by a power loss before its fsync, never
//! acknowledged — and readers drop it. Anything else is damage: an acknowledged event may be
//! behind it, so start-up stops instead of guessing.

use crate::domain::Envelope;

use super::decode_line;

/// What [`scan`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// The events of the intact prefix, in order.
    pub events: Vec<Envelope>,
    /// The intact prefix's length in bytes (whole lines, newline included).
    pub good_len: u64,
    /// The first line that is not intact, if any.
    pub problem: Option<Problem>,
}

/// The first line past the intact prefix and why it is not part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// 1-based line number.
    pub line: usize,
    /// Byte offset where the line starts (= the intact prefix's length).
    pub offset: u64,
    /// What is wrong, in words (English, as journal errors are).
    pub what: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The last line was cut short by a power loss: never acknowledged, dropped by readers.
    TornTail,
    /// A bad line before the end, or a sequence break: start-up refuses the file.
    Damaged,
}

/// Scans a day file's bytes (see the module doc for the rules).
pub fn scan(bytes: &[u8]) -> Scan {
    let mut events: Vec<Envelope> = Vec::new();
    let mut offset = 0usize;
    let mut line_no = 0usize;
    let mut problem = None;
    while offset < bytes.len() {
        line_no += 1;
        let rest = &bytes[offset..];
        let problem_here = |kind, what: String| Problem {
            kind,
            line: line_no,
            offset: offset as u64,
            what,
        };
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            problem = Some(problem_here(
                ProblemKind::TornTail,
                "the last line has no newline (a write cut short)".into(),
            ));
            break;
        };
        let is_last = offset + nl + 1 >= bytes.len();
        match decode_line(&rest[..nl]) {
            Ok(env) => {
                if let Some(prev) = events.last().map(|e| e.seq) {
                    if env.seq != prev + 1 {
                        problem = Some(problem_here(
                            ProblemKind::Damaged,
                            format!("sequence jumps from {prev} to {}", env.seq),
                        ));
                        break;
                    }
                }
                events.push(env);
            }
            Err(what) => {
                let kind = if is_last {
                    ProblemKind::TornTail
                } else {
                    ProblemKind::Damaged
                };
                problem = Some(problem_here(kind, what));
                break;
            }
        }
        offset += nl + 1;
    }
    Scan {
        events,
        good_len: offset as u64,
        problem,
    }
}
