//! Where a kiosk's tickets go (`[[devices]] printer = "…"`) and on what paper: a network
//! printer (`tcp://HOST:PORT`, two-way: its paper status can be asked), a device file
//! (`usb:/dev/usb/lp0`) or a plain file the bytes are appended to (`file:PATH`, for trials).

use std::fmt;
use std::path::PathBuf;

/// The address of a printer, as written in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterTarget {
    /// A network printer's raw port (usually 9100).
    Tcp { host: String, port: u16 },
    /// A printer's device file (the kernel's usblp driver), written to, never created.
    Usb(PathBuf),
    /// A file the bytes are appended to (created when missing).
    File(PathBuf),
}

impl PrinterTarget {
    /// Parses `tcp://HOST:PORT`, `usb:/dev/…` or `file:PATH`; the error says what is expected.
    pub fn parse(s: &str) -> Result<PrinterTarget, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = rest
                .rsplit_once(':')
                .ok_or_else(|| format!("\"{s}\" lacks the port (e.g. tcp://192.168.1.50:9100)"))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port: u16 = port
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("\"{port}\" is not a port number 1-65535"))?;
            let ok = |c: char| c.is_ascii_alphanumeric() || ".-:".contains(c);
            if host.is_empty() || !host.chars().all(ok) {
                return Err(format!("\"{host}\" is not a host name or address"));
            }
            return Ok(PrinterTarget::Tcp {
                host: host.to_string(),
                port,
            });
        }
        if let Some(path) = s.strip_prefix("usb:") {
            if !path.starts_with('/') {
                return Err(format!(
                    "\"{path}\" must be the device file's full path (e.g. usb:/dev/usb/lp0)"
                ));
            }
            return Ok(PrinterTarget::Usb(PathBuf::from(path)));
        }
        if let Some(path) = s.strip_prefix("file:") {
            if path.is_empty() {
                return Err("file: needs a path (e.g. file:/tmp/tickets.bin)".into());
            }
            return Ok(PrinterTarget::File(PathBuf::from(path)));
        }
        Err(format!(
            "\"{s}\" is not a printer address; use tcp://HOST:PORT, usb:/dev/usb/lp0 or file:PATH"
        ))
    }

    /// Whether the printer can answer status queries (`DLE EOT`) on this connection.
    pub fn two_way(&self) -> bool {
        matches!(self, PrinterTarget::Tcp { .. })
    }
}

impl fmt::Display for PrinterTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterTarget::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            PrinterTarget::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            PrinterTarget::Usb(p) => write!(f, "usb:{}", p.display()),
            PrinterTarget::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

/// The paper roll's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// 80 mm paper: 576 dots at 203 dpi.
    #[default]
    Mm80,
    /// 58 mm paper: 384 dots at 203 dpi.
    Mm58,
}

impl Paper {
    pub fn from_mm(mm: i64) -> Option<Paper> {
        match mm {
            80 => Some(Paper::Mm80),
            58 => Some(Paper::Mm58),
            _ => None,
        }
    }

    pub fn mm(self) -> u32 {
        match self {
            Paper::Mm80 => 80,
            Paper::Mm58 => 58,
        }
    }

    /// Printable dots across (a multiple of 8).
    pub fn dots(self) -> u32 {
        match self {
            Paper::Mm80 => 576,
            Paper::Mm58 => 384,
        }
    }
}

/// A kiosk's printer from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterSpec {
    pub target: PrinterTarget,
    pub paper: Paper,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms_and_says_what_is_wrong() {
        assert_eq!(
            PrinterTarget::parse("tcp://192.168.1.50:9100"),
            Ok(PrinterTarget::Tcp {
                host: "192.168.1.50".into(),
                port: 9100
            })
        );
        assert_eq!(
            PrinterTarget::parse("tcp://printer-1.local:9100")
                .map(|t| t.to_string())
                .as_deref(),
            Ok("tcp://printer-1.local:9100")
        );
        assert_eq!(
            PrinterTarget::parse("usb:/dev/usb/lp0"),
            Ok(PrinterTarget::Usb("/dev/usb/lp0".into()))
        );
        assert_eq!(
            PrinterTarget::parse("file:tickets.bin"),
            Ok(PrinterTarget::File("tickets.bin".into()))
        );
        for bad in [
            "tcp://host",
            "tcp://host:0",
            "tcp://ho st:9100",
            "usb:lp0",
            "file:",
            "lpt1",
        ] {
            assert!(PrinterTarget::parse(bad).is_err(), "{bad} parsed");
        }
        assert!(PrinterTarget::parse("tcp://h:1").is_ok_and(|t| t.two_way()));
        assert_eq!(Paper::from_mm(58).map(Paper::dots), Some(384));
        assert_eq!(Paper::from_mm(80).map(Paper::dots), Some(576));
        assert_eq!(Paper::from_mm(57), None);
    }
}
