//! What a printer's queue knows about its printer: its condition (fed to the supervisor
//! alerts), the last error, counts; and the outcome of each job, told to the kiosk that
//! issued the ticket.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::domain::alerts::{PrinterCondition, PrinterFault};
use crate::domain::ids::TicketId;

/// A printer's state as the dashboard lists it.
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub condition: Condition,
    pub last_error: Option<String>,
    /// The code of the last error (`paper_out`, `no_answer`, `closed`, …).
    pub last_reason: Option<&'static str>,
    pub last_error_at: Option<DateTime<FixedOffset>>,
    pub last_printed_at: Option<DateTime<FixedOffset>>,
    pub printed: u64,
    pub failed: u64,
}

/// The printer's condition; `Unknown` until its queue first looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Condition {
    #[default]
    Unknown,
    Ok,
    Fault(PrinterFault, DateTime<FixedOffset>),
}

impl Condition {
    /// The word of the API (`GET /api/v1/printers`).
    pub fn word(self) -> &'static str {
        match self {
            Condition::Unknown => "unknown",
            Condition::Ok => "ok",
            Condition::Fault(PrinterFault::PaperLow, _) => "paper_low",
            Condition::Fault(PrinterFault::PaperOut, _) => "paper_out",
            Condition::Fault(PrinterFault::Offline, _) => "offline",
        }
    }

    /// Nothing will print until it is fixed (paper low still prints).
    pub fn blocks(self) -> bool {
        matches!(
            self,
            Condition::Fault(PrinterFault::PaperOut | PrinterFault::Offline, _)
        )
    }

    pub fn since(self) -> Option<DateTime<FixedOffset>> {
        match self {
            Condition::Fault(_, since) => Some(since),
            _ => None,
        }
    }

    /// The condition with its start kept when the kind of fault has not changed.
    pub fn next(self, fault: Option<PrinterFault>, now: DateTime<FixedOffset>) -> Condition {
        match (self, fault) {
            (_, None) => Condition::Ok,
            (Condition::Fault(old, since), Some(f)) if old == f => Condition::Fault(f, since),
            (_, Some(f)) => Condition::Fault(f, now),
        }
    }

    /// The input of the domain's alert check.
    pub fn input(self) -> PrinterCondition {
        match self {
            Condition::Unknown => PrinterCondition::Unknown,
            Condition::Ok => PrinterCondition::Ok,
            Condition::Fault(kind, since) => PrinterCondition::Fault { kind, since },
        }
    }
}

/// The outcome of one job, sent to the issuing kiosk's WebSocket as
/// `{"type":"print","ticket","number","status":"printed"|"failed","reason","reprint"}`.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    #[serde(skip)]
    pub printer: String,
    pub ticket: TicketId,
    pub number: String,
    pub status: &'static str,
    pub reason: Option<&'static str>,
    pub reprint: bool,
}

impl Notice {
    pub fn frame(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let serde_json::Value::Object(m) = &mut v {
            m.insert("type".into(), "print".into());
        }
        v.to_string()
    }
}
