//! Unit tests of `appointments.rs`: CSV cells, and the per-phone mirror of remote tickets
//! (seeded from the journal, each ticket counted once).

use super::*;

#[test]
fn cells_are_quoted_and_never_formulas() {
    assert_eq!(cell("0912345678"), "0912345678");
    assert_eq!(cell("+33123456789"), "'+33123456789");
    assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_eq!(cell("Tốt, nhanh"), "\"Tốt, nhanh\"");
}

/// A `ticket_issued` envelope of a remote ticket for `tag` (None: untagged).
fn issued(seq: u64, tag: Option<&str>) -> crate::domain::Envelope {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00+07:00").expect("time");
    let ticket = Ticket {
        id: TicketId(ulid::Ulid::new()),
        number: format!("{}", 2000 + seq),
        service: ServiceId::new("tuxa"),
        origin: ServiceId::new("tuxa"),
        priority: None,
        status: Status::Waiting,
        issued_at: at,
        called_at: None,
        first_called_at: None,
        finished_at: None,
        counter: None,
        clerk: None,
        recalls: 0,
        order: seq,
        slot_start: None,
        booking: None,
        remote: true,
        waiting_ahead: None,
        eta_s: None,
    };
    crate::domain::Envelope {
        seq,
        at,
        event: Event::TicketIssued {
            ticket,
            booking: None,
            client: tag.map(|t| ClientTag(t.into())),
        },
    }
}

#[test]
fn the_per_phone_mirror_is_seeded_from_the_journal_and_counts_each_ticket_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let day = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let mut buf = Vec::new();
    for env in [issued(1, Some("a")), issued(2, None), issued(3, Some("a"))] {
        crate::journal::encode_line(&env, &mut buf);
    }
    std::fs::write(crate::journal::day_path(dir.path(), day), buf).expect("write journal");
    let g = RemoteGuard::default();
    let (a, b) = (ClientTag("a".into()), ClientTag("b".into()));
    // Before seeding, issued tickets are left to the seeding (they are in the file).
    g.issued(day, 3, &a);
    assert_eq!(g.used_if_seeded(day, &a), None);
    g.seed(dir.path(), day);
    assert_eq!(g.used_if_seeded(day, &a), Some(2));
    assert_eq!(g.used_if_seeded(day, &b), Some(0));
    // Read already: not counted again. After what was read: counted.
    g.issued(day, 3, &a);
    g.issued(day, 4, &b);
    assert_eq!(g.used_if_seeded(day, &a), Some(2));
    assert_eq!(g.used_if_seeded(day, &b), Some(1));
    // Another day starts from its own (here: missing) journal.
    let next = day.succ_opt().expect("date");
    g.seed(dir.path(), next);
    assert_eq!(g.used_if_seeded(next, &a), Some(0));
    g.issued(next, 6, &a);
    assert_eq!(g.used_if_seeded(next, &a), Some(1));
    assert_eq!(g.used_if_seeded(day, &a), None, "the old day is gone");
}
