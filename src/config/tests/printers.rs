//! `[[devices]] printer`, `paper_mm` and `[centre] ticket_footer`: valid forms and the
//! problems a centre's IT gets for wrong ones, with their lines.

use super::*;
use crate::print::{Paper, PrinterTarget};

fn kiosk(extra: &str) -> String {
    format!(
        "{BASE}\n[[devices]]\nname = \"Kiosk 1\"\nrole = \"kiosk\"\ntoken = \"kiosk-token-0000001\"\n{extra}"
    )
}

#[test]
fn a_kiosk_printer_and_its_paper_parse() {
    let c = parse(
        &kiosk("printer = \"tcp://192.168.1.50:9100\"\npaper_mm = 58\n"),
        "c.toml",
    )
    .expect("valid");
    let p = c.devices[0].printer.clone().expect("a printer");
    assert_eq!(
        p.target,
        PrinterTarget::Tcp {
            host: "192.168.1.50".into(),
            port: 9100
        }
    );
    assert_eq!(p.paper, Paper::Mm58);
    let c = parse(&kiosk("printer = \"usb:/dev/usb/lp0\"\n"), "c.toml").expect("valid");
    let p = c.devices[0].printer.clone().expect("a printer");
    assert_eq!(p.paper, Paper::Mm80, "80 mm by default");
    let c = parse(&kiosk(""), "c.toml").expect("valid");
    assert_eq!(c.devices[0].printer, None, "no printer: browser printing");
    assert_eq!(c.ticket_footer, DEFAULT_TICKET_FOOTER);
}

#[test]
fn wrong_printer_keys_are_located() {
    let text = kiosk("printer = \"lpt1\"\npaper_mm = 57\n");
    assert_problem(&text, "lpt1", "devices[0].printer", "tcp://HOST:PORT");
    assert_problem(
        &text,
        "paper_mm = 57",
        "devices[0].paper_mm",
        "use 80 or 58",
    );
    let text = kiosk("printer = \"tcp://printer:99999\"\n");
    assert_problem(&text, "99999", "devices[0].printer", "not a port number");
    let text = kiosk("paper_mm = 80\n");
    assert_problem(
        &text,
        "paper_mm = 80",
        "devices[0].paper_mm",
        "belongs with a printer",
    );
    let text = format!(
        "{BASE}\n[[devices]]\nname = \"TV\"\nrole = \"display\"\ntoken = \"display-token-000001\"\nprinter = \"file:/tmp/x\"\n"
    );
    assert_problem(
        &text,
        "file:/tmp/x",
        "devices[0].printer",
        "only kiosk devices",
    );
}

#[test]
fn the_ticket_footer_is_checked() {
    let text = BASE.replace(
        "name = \"Test\"",
        "name = \"Test\"\nticket_footer = \"Cảm ơn quý khách · Thank you\"",
    );
    let c = parse(&text, "c.toml").expect("valid");
    assert_eq!(c.ticket_footer, "Cảm ơn quý khách · Thank you");
    let long = "x".repeat(121);
    let text = BASE.replace(
        "name = \"Test\"",
        &format!("name = \"Test\"\nticket_footer = \"{long}\""),
    );
    assert_problem(&text, &long, "centre.ticket_footer", "too long");
    let text = BASE.replace("name = \"Test\"", "name = \"Test\"\nticket_footer = \" \"");
    assert_problem(
        &text,
        "ticket_footer",
        "centre.ticket_footer",
        "must not be empty",
    );
}
