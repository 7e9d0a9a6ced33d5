//! Storage fault injection — **for tests only**.
//!
//! When the daemon is started with the environment variable `XEPHANG_FAULT_FILE=<path>`,
//! every journal append first checks whether `<path>` exists (one `stat`, only when the
//! variable is set); while it does, the append fails as the file's first word says:
//!
//! | word | what the append does |
//! | --- | --- |
//! | `eio` (or empty) | fails with an I/O error before writing anything |
//! | `enospc` | fails like a full disk (`StorageFull`) before writing anything |
//! | `fsync` | writes the batch, then fails at fsync (the batch must be cut back) |
//! | `torn` | writes half the batch, fails, and the cut-back fails too (the next append must cut) |
//!
//! A count after the word (`eio 1`) makes the fault last that many appends only (the hook
//! counts down in the file and removes it after the last). Removing the file heals the
//! "disk". Without the variable nothing here runs. This is how
//! `tests/storage_faults.rs` proves that nothing undurable is acknowledged and that service
//! resumes by itself; a real centre never sets the variable.

use std::io;
use std::path::PathBuf;

/// The environment variable that names the fault file.
pub const FAULT_FILE_VAR: &str = "XEPHANG_FAULT_FILE";

/// What an injected fault does to one append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Fails before writing (I/O error).
    Eio,
    /// Fails before writing (disk full).
    NoSpace,
    /// Writes everything, then fsync fails.
    Fsync,
    /// Writes half, fails, and cutting back fails as well.
    Torn,
}

impl Fault {
    pub fn error(self) -> io::Error {
        match self {
            Fault::NoSpace => io::Error::new(
                io::ErrorKind::StorageFull,
                "injected fault: no space left on device",
            ),
            _ => io::Error::other("injected fault: input/output error"),
        }
    }
}

/// The fault file named by [`FAULT_FILE_VAR`], read once when a journal opens.
pub fn configured() -> Option<PathBuf> {
    let path = std::env::var_os(FAULT_FILE_VAR).filter(|p| !p.is_empty())?;
    let path = PathBuf::from(path);
    tracing::warn!(file = %path.display(), "TEST HOOK: storage faults are injected while this file exists");
    Some(path)
}

/// The fault in force now, if the file exists. A count after the word (`eio 1`) limits the
/// fault to that many more appends: each one counts down, and the last removes the file.
pub fn active(file: &Option<PathBuf>) -> Option<Fault> {
    let path = file.as_ref()?;
    let text = std::fs::read_to_string(path).ok()?;
    let mut words = text.split_whitespace();
    let word = words.next().unwrap_or("eio");
    let fault = match word {
        "enospc" => Fault::NoSpace,
        "fsync" => Fault::Fsync,
        "torn" => Fault::Torn,
        _ => Fault::Eio,
    };
    match words.next().and_then(|n| n.parse::<u32>().ok()) {
        Some(0) => {
            let _ = std::fs::remove_file(path);
            None
        }
        Some(1) => {
            let _ = std::fs::remove_file(path);
            Some(fault)
        }
        Some(n) => {
            let _ = std::fs::write(path, format!("{word} {}", n - 1));
            Some(fault)
        }
        None => Some(fault),
    }
}
