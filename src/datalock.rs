//! One data folder, one writer: an exclusive advisory lock on `<data-dir>/xephang.lock`.
//!
//! Two daemons on one data folder (the service already running, then `./run.sh` by mistake)
//! would both hand out ticket 1001 and both append the same seqs to the day file, which the
//! next start then refuses (issue 19). So everything that writes the data folder — `xephang
//! run` and `xephang journal repair` — takes this lock first, before the journal is opened,
//! and holds it for the life of the process; a second writer gets [`LockError::Held`] at once
//! and exits naming the folder and the PID that holds it. Read-only commands (`report`,
//! `check-config`, `journal check`) never take it, so they work while the daemon runs.
//!
//! Why `std::fs::File::try_lock` (stable since Rust 1.89) and not a crate such as `fs4`: it
//! is exactly the one call needed (`flock(LOCK_EX | LOCK_NB)` on Linux), maintained with the
//! standard library, and adds no dependency. `flock` locks belong to the open file, not to a
//! PID written somewhere: the kernel releases them when the process ends in any way —
//! `kill -9`, a panic, a power cut (the lock lives in memory only) — so there is never a stale
//! lock to clean by hand. The file stays on disk (removing it would race with a starting
//! process); its content (PID, start time, address) is only informative, written after the
//! lock is taken, so that the refusal can name who holds the folder. (`flock` on an NFS
//! mount is emulated with byte-range locks by Linux; a data folder belongs on a local disk.)

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The lock file's name inside the data folder.
pub const LOCK_FILE: &str = "xephang.lock";

#[derive(Debug, Error)]
pub enum LockError {
    #[error(
        "Thư mục dữ liệu {dir} đang được một tiến trình xephang khác sử dụng ({holder_vi}). \
         Mỗi thư mục dữ liệu chỉ có một tiến trình ghi: hãy dùng tiến trình đang chạy, dừng nó \
         trước (ví dụ `systemctl stop xephang`), hoặc chọn --data-dir khác. Không có gì bị ghi.\n\
         The data folder {dir} is in use by another xephang process ({holder_en}). One data \
         folder has one writer: use the running one, stop it first (e.g. `systemctl stop \
         xephang`), or pick another --data-dir. Nothing was written.",
        holder_vi = holder_vi(.holder),
        holder_en = holder_en(.holder)
    )]
    Held { dir: PathBuf, holder: Holder },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// What the lock file says about the process holding it (any field may be missing: the
/// holder may be between taking the lock and writing it, or be an older version).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    pub started: Option<String>,
    pub bind: Option<String>,
    pub command: Option<String>,
}

fn holder_vi(h: &Holder) -> String {
    let mut s = match h.pid {
        Some(pid) => format!("PID {pid}"),
        None => "PID chưa rõ".to_string(),
    };
    if let Some(c) = &h.command {
        s.push_str(&format!(", lệnh `xephang {c}`"));
    }
    if let Some(t) = &h.started {
        s.push_str(&format!(", chạy từ {t}"));
    }
    if let Some(b) = &h.bind {
        s.push_str(&format!(", địa chỉ {b}"));
    }
    s
}

fn holder_en(h: &Holder) -> String {
    let mut s = match h.pid {
        Some(pid) => format!("PID {pid}"),
        None => "PID not known yet".to_string(),
    };
    if let Some(c) = &h.command {
        s.push_str(&format!(", command `xephang {c}`"));
    }
    if let Some(t) = &h.started {
        s.push_str(&format!(", started {t}"));
    }
    if let Some(b) = &h.bind {
        s.push_str(&format!(", listening on {b}"));
    }
    s
}

impl Holder {
    fn parse(text: &str) -> Holder {
        let mut h = Holder::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().to_string();
            match key.trim() {
                "pid" => h.pid = value.parse().ok(),
                "started" => h.started = Some(value),
                "bind" => h.bind = Some(value),
                "command" => h.command = Some(value),
                _ => {}
            }
        }
        h
    }

    fn render(&self) -> String {
        let mut s = String::new();
        if let Some(pid) = self.pid {
            s.push_str(&format!("pid={pid}\n"));
        }
        for (key, value) in [
            ("command", &self.command),
            ("started", &self.started),
            ("bind", &self.bind),
        ] {
            if let Some(v) = value {
                s.push_str(&format!("{key}={v}\n"));
            }
        }
        s
    }
}

/// The held lock: dropping it (or the process ending in any way) releases it.
#[derive(Debug)]
pub struct DataLock {
    file: File,
    path: PathBuf,
    holder: Holder,
}

impl DataLock {
    /// Takes the lock of `data_dir` (which must exist) without waiting, for `command` (e.g.
    /// `run`), and records this process in the lock file. Fails with [`LockError::Held`] when
    /// another process holds it; writes nothing in that case.
    pub fn acquire(data_dir: &Path, command: &str) -> Result<DataLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io_err = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        // No truncation on open: the holder's record must survive a refused attempt.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                // Best effort: the record only helps name the holder.
                let _ = file.read_to_string(&mut text);
                return Err(LockError::Held {
                    dir: data_dir.to_path_buf(),
                    holder: Holder::parse(&text),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let holder = Holder {
            pid: Some(std::process::id()),
            started: Some(chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            bind: None,
            command: Some(command.to_string()),
        };
        let mut lock = DataLock {
            file,
            path: path.clone(),
            holder,
        };
        lock.write_record().map_err(io_err)?;
        Ok(lock)
    }

    /// Adds the address the daemon listens on to the record (after binding).
    pub fn record_bind(&mut self, addr: &str) -> Result<(), LockError> {
        self.holder.bind = Some(addr.to_string());
        self.write_record().map_err(|source| LockError::Io {
            path: self.path.clone(),
            source,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_record(&mut self) -> io::Result<()> {
        let text = self.holder.render();
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        // Informative only: no fsync (after a power cut nobody holds the lock anyway).
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut first = DataLock::acquire(dir.path(), "run").expect("first lock");
        first.record_bind("127.0.0.1:8080").expect("record");
        let record = std::fs::read(first.path()).expect("read");
        match DataLock::acquire(dir.path(), "run") {
            Err(LockError::Held { dir: d, holder }) => {
                assert_eq!(d, dir.path());
                assert_eq!(holder.pid, Some(std::process::id()));
                assert_eq!(holder.bind.as_deref(), Some("127.0.0.1:8080"));
                assert_eq!(holder.command.as_deref(), Some("run"));
                let msg = LockError::Held { dir: d, holder }.to_string();
                assert!(
                    msg.contains(&format!("PID {}", std::process::id())),
                    "{msg}"
                );
                assert!(msg.contains("Thư mục dữ liệu"), "{msg}");
                assert!(msg.contains("The data folder"), "{msg}");
            }
            other => panic!("expected Held, got {other:?}"),
        }
        // The refused attempt wrote nothing.
        assert_eq!(std::fs::read(first.path()).expect("read"), record);
        drop(first);
        DataLock::acquire(dir.path(), "journal repair").expect("free again after drop");
    }

    #[test]
    fn the_record_parses_back() {
        let h = Holder {
            pid: Some(42),
            started: Some("2026-11-23T07:30:00+07:00".into()),
            bind: Some("0.0.0.0:8080".into()),
            command: Some("run".into()),
        };
        assert_eq!(Holder::parse(&h.render()), h);
        assert_eq!(Holder::parse("garbage"), Holder::default());
    }
}
