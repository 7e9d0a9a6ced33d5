//! What a printed ticket says, as text, decided apart from how it is drawn: centre, service
//! (Vietnamese, and English when the centre named it), the number, the priority class or the
//! appointment time, date and time, people ahead and the estimated wait (or that no counter
//! serves the service yet), the address its QR code holds, and the centre's footer.
//! Vietnamese first with full diacritics, English second.

use chrono::{DateTime, FixedOffset};

use crate::domain::spec::CentreSpec;
use crate::domain::ticket::{Ticket, APPOINTMENT};

/// The text of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketContent {
    pub centre: String,
    pub service: String,
    /// The English name, when the centre gave one that differs.
    pub service_en: Option<String>,
    pub number: String,
    /// "Ưu tiên: Người cao tuổi · Elderly" or "Lịch hẹn 09:30 · Appointment 09:30".
    pub class: Option<String>,
    /// "08:01 · 23/11/2026".
    pub issued: String,
    /// People ahead in line (None once the ticket is no longer waiting).
    pub ahead: Option<u32>,
    /// "~12 phút · 12 min", "Không phải chờ · No wait", "Chưa có quầy phục vụ · No counter open yet".
    pub wait: String,
    /// What the QR code holds: the ticket's own page.
    pub url: String,
    pub footer: String,
}

/// The ticket's place and estimate as the read side has them, and whether an open counter
/// serves its service now.
#[derive(Debug, Clone, Copy)]
pub struct Lobby {
    pub staffed: bool,
}

/// Builds the text of `ticket` (pure: everything comes in).
pub fn ticket_content(
    spec: &CentreSpec,
    footer: &str,
    ticket: &Ticket,
    lobby: Lobby,
    url: &str,
) -> TicketContent {
    let service = spec.service(&ticket.service);
    let name = service.map_or_else(|| ticket.service.to_string(), |s| s.name.clone());
    let service_en = service
        .map(|s| s.name_en.clone())
        .filter(|en| !en.is_empty() && *en != name);
    let class = match ticket.priority.as_deref() {
        None => None,
        Some(APPOINTMENT) => Some(match ticket.slot_start {
            Some(start) => {
                let at = start.format("%H:%M");
                format!("Lịch hẹn {at} · Appointment {at}")
            }
            None => "Lịch hẹn · Appointment".to_string(),
        }),
        Some(p) => {
            let (vi, en) = spec
                .priorities
                .iter()
                .find(|c| c.id == p)
                .map_or((p.to_string(), p.to_string()), |c| {
                    (c.name.clone(), c.name_en.clone())
                });
            Some(if en.is_empty() || en == vi {
                format!("Ưu tiên · Priority: {vi}")
            } else {
                format!("Ưu tiên: {vi} · Priority: {en}")
            })
        }
    };
    let wait = match (ticket.eta_s, lobby.staffed) {
        (_, false) => "Chưa có quầy phục vụ · No counter open yet".to_string(),
        (Some(0) | None, true) => "Không phải chờ · No wait".to_string(),
        (Some(s), true) => duration(s),
    };
    TicketContent {
        centre: spec.name.clone(),
        service: name,
        service_en,
        number: ticket.number.clone(),
        class,
        issued: issued(ticket.issued_at),
        ahead: ticket.waiting_ahead,
        wait,
        url: url.to_string(),
        footer: footer.to_string(),
    }
}

fn issued(at: DateTime<FixedOffset>) -> String {
    at.format("%H:%M · %d/%m/%Y").to_string()
}

/// "~12 phút · 12 min", "~1 giờ 5 phút · 1 h 5 min" (rounded up to minutes).
fn duration(s: u32) -> String {
    if s < 60 {
        return "Dưới 1 phút · Under 1 min".to_string();
    }
    let m = s.div_ceil(60);
    if m < 60 {
        return format!("~{m} phút · {m} min");
    }
    let (h, r) = (m / 60, m % 60);
    if r == 0 {
        format!("~{h} giờ · {h} h")
    } else {
        format!("~{h} giờ {r} phút · {h} h {r} min")
    }
}

/// A made-up ticket for `xephang print-test` and the benchmark.
pub fn sample(centre: &str, footer: &str, url: &str) -> TicketContent {
    TicketContent {
        centre: centre.to_string(),
        service: "Hộ tịch".to_string(),
        service_en: Some("Civil status".to_string()),
        number: "1005".to_string(),
        class: Some("Ưu tiên: Người cao tuổi · Priority: Elderly".to_string()),
        issued: "08:01 · 23/11/2026".to_string(),
        ahead: Some(3),
        wait: "~12 phút · 12 min".to_string(),
        url: url.to_string(),
        footer: footer.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_minutes() {
        assert_eq!(duration(30), "Dưới 1 phút · Under 1 min");
        assert_eq!(duration(61), "~2 phút · 2 min");
        assert_eq!(duration(3600), "~1 giờ · 1 h");
        assert_eq!(duration(3900), "~1 giờ 5 phút · 1 h 5 min");
    }
}
