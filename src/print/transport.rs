//! Getting a job's bytes to a printer, each step bounded in time. On a network printer
//! (two-way) the paper status is asked first (`DLE EOT`): a printer out of paper or offline
//! gets nothing, so nothing half-printed comes out later. Device files and plain files are
//! written from a blocking thread; a write still stuck there from an earlier job makes the
//! next one fail at once instead of piling threads up on a dead device.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::escpos::{parse_status, Status, STATUS_QUERY};
use super::target::PrinterTarget;

/// Time limits of one attempt.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect: Duration,
    /// For the answer to the status query.
    pub status: Duration,
    /// For the whole job to be written.
    pub write: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: Duration::from_secs(2),
            status: Duration::from_millis(1500),
            write: Duration::from_secs(10),
        }
    }
}

/// Why an attempt failed. `reason()` is the code kiosks and the dashboard get.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("cannot connect: {0}")]
    Unreachable(String),
    #[error("the printer did not answer in time")]
    NoAnswer,
    #[error("the printer closed the connection")]
    Closed,
    /// The connection broke while the ticket was being sent: part of it may have printed,
    /// so it is never sent again by itself.
    #[error("the connection broke while the ticket was being sent: {0}")]
    Cut(String),
    #[error("out of paper (or cover open)")]
    PaperOut,
    #[error("the printer reports itself offline")]
    Offline,
    #[error("an earlier write to the device has not finished")]
    Busy,
    #[error("{0}")]
    Io(String),
}

impl Failure {
    pub fn reason(&self) -> &'static str {
        match self {
            Failure::Unreachable(_) => "unreachable",
            Failure::NoAnswer => "no_answer",
            Failure::Closed => "closed",
            Failure::Cut(_) => "cut",
            Failure::PaperOut => "paper_out",
            Failure::Offline => "offline",
            Failure::Busy => "busy",
            Failure::Io(_) => "io",
        }
    }

    /// Worth another attempt in a moment: a refused connection, or one dropped before any
    /// byte of the ticket was sent.
    pub fn retryable(&self) -> bool {
        matches!(self, Failure::Unreachable(_) | Failure::Closed)
    }

    /// What the supervisor's alert says: paper out, or offline for everything else.
    pub fn is_paper_out(&self) -> bool {
        matches!(self, Failure::PaperOut)
    }
}

/// What a successful attempt learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    /// The paper roll is nearly used up.
    pub paper_low: bool,
}

/// One printer's connection side.
pub struct Transport {
    pub target: PrinterTarget,
    pub limits: Limits,
    /// A blocking write to a device or file is in progress.
    writing: Arc<AtomicBool>,
}

impl Transport {
    pub fn new(target: PrinterTarget, limits: Limits) -> Transport {
        Transport {
            target,
            limits,
            writing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Sends `job` (after the status check on two-way connections). `job` empty: only
    /// looks (status, or whether the device opens), printing nothing.
    pub async fn send(&self, job: &[u8]) -> Result<Sent, Failure> {
        match &self.target {
            PrinterTarget::Tcp { host, port } => self.tcp(host, *port, job).await,
            PrinterTarget::Usb(path) => self.blocking(path.clone(), job, false).await,
            PrinterTarget::File(path) => self.blocking(path.clone(), job, true).await,
        }
    }

    async fn tcp(&self, host: &str, port: u16, job: &[u8]) -> Result<Sent, Failure> {
        let l = self.limits;
        let mut s = match timeout(l.connect, TcpStream::connect((host, port))).await {
            Err(_) => return Err(Failure::Unreachable("connection timed out".into())),
            Ok(Err(e)) => return Err(Failure::Unreachable(e.to_string())),
            Ok(Ok(s)) => s,
        };
        let _ = s.set_nodelay(true);
        let status = status(&mut s, l.status).await?;
        if status.paper_out {
            return Err(Failure::PaperOut);
        }
        if status.offline {
            return Err(Failure::Offline);
        }
        if !job.is_empty() {
            let written = async {
                s.write_all(job).await?;
                s.flush().await?;
                s.shutdown().await
            };
            match timeout(l.write, written).await {
                Err(_) => return Err(Failure::NoAnswer),
                Ok(Err(e)) => return Err(Failure::Cut(e.to_string())),
                Ok(Ok(())) => {}
            }
        }
        Ok(Sent {
            paper_low: status.paper_low,
        })
    }

    async fn blocking(&self, path: PathBuf, job: &[u8], create: bool) -> Result<Sent, Failure> {
        if self.writing.swap(true, Ordering::SeqCst) {
            return Err(Failure::Busy);
        }
        let flag = self.writing.clone();
        let job = job.to_vec();
        let task = tokio::task::spawn_blocking(move || {
            let out = write_file(&path, &job, create);
            flag.store(false, Ordering::SeqCst);
            out
        });
        match timeout(self.limits.write, task).await {
            // The thread goes on; `writing` stays set until it returns.
            Err(_) => Err(Failure::NoAnswer),
            Ok(Err(e)) => Err(Failure::Io(e.to_string())),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Ok(Ok(()))) => Ok(Sent::default()),
        }
    }
}

/// Asks the status and reads both answers.
async fn status(s: &mut TcpStream, limit: Duration) -> Result<Status, Failure> {
    let asked = async {
        s.write_all(&STATUS_QUERY).await?;
        let mut answer = [0u8; 2];
        s.read_exact(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    match timeout(limit, asked).await {
        Err(_) => Err(Failure::NoAnswer),
        Ok(Err(e)) => Err(io_failure(e)),
        // Not a status byte: something that is not an ESC/POS printer (or a printer that
        // does not implement DLE EOT) answered; printing is still tried.
        Ok(Ok([a, b])) => Ok(parse_status(a, b).unwrap_or_default()),
    }
}

fn io_failure(e: std::io::Error) -> Failure {
    use std::io::ErrorKind::*;
    match e.kind() {
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => Failure::Closed,
        _ => Failure::Io(e.to_string()),
    }
}

fn write_file(path: &Path, job: &[u8], create: bool) -> Result<(), Failure> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(create)
        .open(path)
        .map_err(|e| Failure::Unreachable(format!("{}: {e}", path.display())))?;
    if job.is_empty() {
        return Ok(());
    }
    f.write_all(job)
        .and_then(|()| f.flush())
        .map_err(|e| Failure::Io(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_before_any_ticket_byte_are_retried() {
        assert!(Failure::Unreachable("refused".into()).retryable());
        assert!(Failure::Closed.retryable());
        for f in [
            Failure::Cut("reset".into()),
            Failure::NoAnswer,
            Failure::PaperOut,
            Failure::Offline,
            Failure::Busy,
            Failure::Io("disk".into()),
        ] {
            assert!(!f.retryable(), "{f:?} retried");
        }
    }

    #[tokio::test]
    async fn a_file_printer_appends_and_a_missing_device_is_unreachable() {
        let dir = std::env::temp_dir().join(format!("xephang-print-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("tickets.bin");
        let t = Transport::new(PrinterTarget::File(path.clone()), Limits::default());
        t.send(b"ab").await.expect("written");
        t.send(b"cd").await.expect("written");
        assert_eq!(std::fs::read(&path).expect("read"), b"abcd");
        let usb = Transport::new(PrinterTarget::Usb(dir.join("lp9")), Limits::default());
        let e = usb.send(b"x").await.expect_err("no such device");
        assert_eq!(e.reason(), "unreachable");
        assert!(!dir.join("lp9").exists(), "a device file is never created");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
