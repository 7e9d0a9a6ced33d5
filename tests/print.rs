//! Issue 16 against the real daemon: tickets of a kiosk with a `printer` are printed by the
//! daemon on a fake ESC/POS printer (tests/print_fake). From the bytes of a real issue: the
//! sequence is well formed, the raster is 576 (80 mm) or 384 (58 mm) dots wide, saved as PNG
//! under target/print-tests/, its QR code decodes to the ticket's page, and OCR (Debian's
//! tesseract, Vietnamese) reads back the service name with its diacritics and the number.
//! Paper out, a printer that never answers and one that closes the connection each give:
//! the 201 in normal time, the alert to the supervisor, a `failed` print frame on the kiosk's
//! socket, and — once the printer is back — the next ticket printed once and nothing else.

mod common;
mod print_fake;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;
use print_fake::{normalize, ocr, parse_appended, FakePrinter, Job, Mode};
use serde_json::{json, Value};

/// A second kiosk, with a printer of its own.
const KIOSK2: &str = "print-test-kiosk-0002";

/// The test centre: "Hộ tịch" (1001–1999) and "Chứng thực" (A001–A999); the kiosk prints on
/// `printer` (paper `paper_mm`), a second kiosk on `printer2` when given.
fn centre(printer: &str, paper_mm: u32, printer2: Option<&str>) -> String {
    let services = service_toml("hotich", "Hộ tịch", 1001, 1999, "")
        + &service_toml("chungthuc", "Chứng thực", 1, 999, "prefix = \"A\"\n");
    let mut toml = centre_toml(&services, &[(1, &["hotich", "chungthuc"])]).replace(
        &format!("token = \"{KIOSK}\"\n"),
        &format!("token = \"{KIOSK}\"\nprinter = \"{printer}\"\npaper_mm = {paper_mm}\n"),
    );
    toml = toml.replace(
        "timezone = \"Asia/Ho_Chi_Minh\"\n",
        "timezone = \"Asia/Ho_Chi_Minh\"\nticket_footer = \"Cảm ơn quý khách\"\n",
    );
    if let Some(p) = printer2 {
        toml.push_str(&format!(
            "[[devices]]\nname = \"Kiosk 2\"\nrole = \"kiosk\"\ntoken = \"{KIOSK2}\"\nprinter = \"{p}\"\n\n"
        ));
    }
    toml
}

fn out_dir() -> PathBuf {
    manifest_dir().join("target/print-tests")
}

/// Issues a ticket from `token`'s kiosk; the answer and how long it took.
async fn issue(api: &Api, token: &str, service: &str) -> (Value, Duration) {
    let t0 = Instant::now();
    let r = api
        .post(
            "/api/v1/tickets",
            Some(token),
            json!({ "service": service }),
        )
        .await;
    let took = t0.elapsed();
    assert_eq!(r.status, 201, "{}", r.text);
    (r.body.clone(), took)
}

/// The next `print` frame on a kiosk socket.
async fn print_frame(ws: &mut WsStream, limit: Duration) -> Value {
    let until = tokio::time::Instant::now() + limit;
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        let f = ws_next(ws, left)
            .await
            .expect("a print frame on the kiosk's socket");
        if f.kind() == "print" {
            return f.json;
        }
    }
}

/// The supervisor's active alerts (`GET /api/v1/state` with a supervisor token).
async fn alerts(api: &Api) -> Vec<Value> {
    let st = api.state(Some(SUPERVISOR)).await;
    st["alerts"].as_array().cloned().unwrap_or_default()
}

async fn wait_alert(api: &Api, kind: &str, present: bool) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let has = alerts(api).await.iter().any(|a| a["kind"] == kind);
        if has == present {
            return;
        }
        assert!(
            Instant::now() < until,
            "alert {kind} still {}: {:?}",
            if present { "absent" } else { "present" },
            alerts(api).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks a printed ticket: width, PNG, QR = the ticket's page, OCR of name and number.
fn check_ticket(job: &Job, width: u32, ticket: &Value, base: &str, name: &str, service: &str) {
    assert_eq!(job.width, width, "raster width");
    assert!(
        job.height > 400 && job.height < 2400,
        "height {}",
        job.height
    );
    job.save_png(&out_dir().join(format!("{name}.png")), 1);
    let url = format!("{base}/t/{}", id_of(ticket));
    assert_eq!(job.qr(), url, "the QR code holds the ticket's page");
    let text = ocr(job, &out_dir().join(format!("{name}-ocr.png")));
    std::fs::write(out_dir().join(format!("{name}-ocr.txt")), &text).unwrap();
    let number = number_of(ticket);
    assert!(
        text.contains(&normalize(service)),
        "OCR lacks the service name {service:?}: {text}"
    );
    // The font's 0 is as round as its O, and OCR has no context for a lone number: compare
    // with the look-alikes folded (O → 0, I and l → 1).
    let fold = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                'o' => '0',
                'i' | 'l' | '|' => '1',
                c => c,
            })
            .collect()
    };
    assert!(
        fold(&text).contains(&fold(&number.to_lowercase())),
        "OCR lacks the number {number}: {text}"
    );
}

/// Waits until the printers list gives `name` the state `state`.
async fn wait_state(api: &Api, name: &str, state: &str) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let list = api
            .get("/api/v1/printers", Some(SUPERVISOR))
            .await
            .expect(200)
            .clone();
        let p = list
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned();
        if p.as_ref().is_some_and(|p| p["state"] == state) {
            return;
        }
        assert!(Instant::now() < until, "printer {name} not {state}: {p:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issued_ticket_is_printed_as_a_well_formed_80mm_raster() {
    let printer = FakePrinter::start(Mode::Ready);
    let d = Daemon::start_with(&centre(&printer.url(), 80, None));
    let api = d.api();
    let mut ws = ws_connect(&ws_url_with(&d.ws_url(), &[("token", KIOSK)])).await;
    let (t, took) = issue(&api, KIOSK, "hotich").await;
    assert!(took < Duration::from_secs(2), "issue took {took:?}");
    assert_eq!(t["print"]["by"], "daemon", "{t}");
    assert_eq!(t["print"]["state"], "queued", "{t}");
    assert_eq!(t["print"]["printer"], "Kiosk");
    let frame = print_frame(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(frame["status"], "printed", "{frame}");
    assert_eq!(frame["ticket"], t["id"]);
    assert_eq!(frame["number"], t["number"]);
    let jobs = printer.wait_jobs(1, Duration::from_secs(10));
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status_queries, 2, "DLE EOT 1 and 4 before printing");
    check_ticket(&jobs[0], 576, &t, &d.base_url(), "ticket-80mm", "Hộ tịch");

    // The supervisor sees the printer; a kiosk and the public do not.
    let r = api.get("/api/v1/printers", Some(SUPERVISOR)).await;
    let list = r.expect(200).as_array().cloned().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "Kiosk");
    assert_eq!(list[0]["state"], "ok");
    assert_eq!(list[0]["printed"], 1);
    api.get("/api/v1/printers", Some(KIOSK))
        .await
        .expect_error(403, "forbidden");
    api.get("/api/v1/printers", None)
        .await
        .expect_error(401, "unauthorized");

    // Reprint: the issuing kiosk within 60 s, a supervisor; nobody else.
    let path = format!("/api/v1/tickets/{}/reprint", id_of(&t));
    let r = api.post_empty(&path, Some(KIOSK)).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["print"]["state"], "queued");
    let frame = print_frame(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(
        (frame["status"].as_str(), frame["reprint"].as_bool()),
        (Some("printed"), Some(true))
    );
    let r = api
        .post(&path, Some(SUPERVISOR), json!({"printer": "Kiosk"}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let jobs = printer.wait_jobs(3, Duration::from_secs(10));
    assert_eq!(jobs[1].qr(), jobs[0].qr(), "a reprint is the same ticket");
    api.post_empty(&path, None)
        .await
        .expect_error(401, "unauthorized");
    api.post(&path, Some(SUPERVISOR), json!({"printer": "Nowhere"}))
        .await
        .expect_error(404, "unknown_printer");
    api.post_empty(
        "/api/v1/tickets/01JD0000000000000000000000/reprint",
        Some(SUPERVISOR),
    )
    .await
    .expect_error(404, "not_found");
    // A ticket no printing kiosk issued (here: by the supervisor): which printer is unknown.
    let r = api
        .post(
            "/api/v1/tickets",
            Some(SUPERVISOR),
            json!({"service": "hotich"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(r.body.get("print").is_none(), "{}", r.text);
    let other = format!("/api/v1/tickets/{}/reprint", id_of(&r.body));
    api.post_empty(&other, Some(SUPERVISOR))
        .await
        .expect_error(409, "no_printer");
    api.post_empty(&other, Some(KIOSK))
        .await
        .expect_error(403, "forbidden");
    // A ticket of the public page (no kiosk): the kiosk may not reprint it.
    let clerk = api.clerk(1).await;
    let r = api.next(1, &clerk).await;
    assert_eq!(r.status, 200);
    let r = api.next(1, &clerk).await; // finishes the ticket: no longer live
    assert_eq!(r.status, 200);
    api.post(&path, Some(SUPERVISOR), json!({"printer": "Kiosk"}))
        .await
        .expect_error(409, "invalid_state");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(printer.jobs().len(), 3, "nothing else printed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_58mm_printer_on_a_file_gets_384_dot_tickets() {
    let dir = tempdir();
    let file = dir.path().join("tickets.bin");
    let d = Daemon::start_with(&centre(&format!("file:{}", file.display()), 58, None));
    let api = d.api();
    let (t, _) = issue(&api, KIOSK, "chungthuc").await;
    assert_eq!(t["print"]["state"], "queued", "{t}");
    let until = Instant::now() + Duration::from_secs(10);
    let jobs = loop {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let jobs = if bytes.ends_with(&[0x1D, 0x56, 0x01]) {
            parse_appended(&bytes)
        } else {
            vec![]
        };
        if !jobs.is_empty() || Instant::now() > until {
            break jobs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(jobs.len(), 1, "one ticket in the file");
    assert_eq!(
        jobs[0].status_queries, 0,
        "a file is one-way: no status query"
    );
    assert_eq!(number_of(&t), "A001");
    check_ticket(
        &jobs[0],
        384,
        &t,
        &d.base_url(),
        "ticket-58mm",
        "Chứng thực",
    );
}

/// The printer fails in `mode`; the kiosk, the supervisor and the queue behave; then it is
/// fixed and only the next ticket prints.
async fn fault_then_recover(mode: Mode, kind: &str, reason: &str) {
    let printer = FakePrinter::start(Mode::Ready);
    let other = FakePrinter::start(Mode::Ready);
    let d = Daemon::start_with(&centre(&printer.url(), 80, Some(&other.url())));
    let api = d.api();
    let mut ws = ws_connect(&ws_url_with(&d.ws_url(), &[("token", KIOSK)])).await;
    // The queue has looked at its printer (ready); then the printer fails.
    wait_state(&api, "Kiosk", "ok").await;
    printer.set_mode(mode);

    let (first, took) = issue(&api, KIOSK, "hotich").await;
    assert!(
        took < Duration::from_secs(1),
        "201 in normal time, took {took:?}"
    );
    let frame = print_frame(&mut ws, Duration::from_secs(15)).await;
    assert_eq!(frame["status"], "failed", "{frame}");
    assert_eq!(frame["reason"], reason, "{frame}");
    assert_eq!(frame["ticket"], first["id"]);
    wait_alert(&api, kind, true).await;
    let a = alerts(&api)
        .await
        .into_iter()
        .find(|a| a["kind"] == kind)
        .unwrap();
    assert_eq!(a["printer"], "Kiosk", "{a}");

    // While it is down: tickets are still issued at once, and the answer says so.
    let (second, took) = issue(&api, KIOSK, "hotich").await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(second["print"]["state"], "failed", "{second}");
    // Another kiosk's printer is not held up.
    let t0 = Instant::now();
    let (elsewhere, _) = issue(&api, KIOSK2, "hotich").await;
    let jobs = other.wait_jobs(1, Duration::from_secs(5));
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "the other kiosk waited {:?}",
        t0.elapsed()
    );
    assert_eq!(
        jobs[0].qr(),
        format!("{}/t/{}", d.base_url(), id_of(&elsewhere))
    );
    // The printers list names the fault.
    let list = api
        .get("/api/v1/printers", Some(SUPERVISOR))
        .await
        .expect(200)
        .clone();
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Kiosk")
        .unwrap()
        .clone();
    assert_eq!(mine["state"], kind.trim_start_matches("printer_"), "{mine}");
    assert!(mine["last_error"].is_string(), "{mine}");

    // Fixed: the alert clears by itself, the next ticket prints once, the others never.
    printer.set_mode(Mode::Ready);
    wait_alert(&api, kind, false).await;
    let (third, _) = issue(&api, KIOSK, "hotich").await;
    assert_eq!(third["print"]["state"], "queued", "{third}");
    let frame = print_frame(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(
        (frame["status"].as_str(), &frame["ticket"]),
        (Some("printed"), &third["id"])
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let jobs = printer.jobs();
    assert_eq!(
        jobs.len(),
        1,
        "only the ticket issued after the repair printed"
    );
    assert_eq!(
        jobs[0].0.qr(),
        format!("{}/t/{}", d.base_url(), id_of(&third))
    );
    // Every ticket exists once, numbers in order: printing changed nothing of the queue.
    let numbers: Vec<String> = [&first, &second, &elsewhere, &third]
        .iter()
        .map(|t| number_of(t))
        .collect();
    assert_eq!(numbers, ["1001", "1002", "1003", "1004"]);
    assert_eq!(waiting_count(&api.state(None).await, "hotich"), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn paper_out_alerts_and_nothing_prints_twice() {
    fault_then_recover(Mode::PaperOut, "printer_paper_out", "paper_out").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_printer_alerts_and_holds_nobody() {
    fault_then_recover(Mode::Stall, "printer_offline", "no_answer").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_printer_closing_the_connection_alerts_and_holds_nobody() {
    fault_then_recover(Mode::Close, "printer_offline", "closed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paper_low_still_prints_and_warns() {
    let printer = FakePrinter::start(Mode::PaperLow);
    let d = Daemon::start_with(&centre(&printer.url(), 80, None));
    let api = d.api();
    let (_t, _) = issue(&api, KIOSK, "hotich").await;
    printer.wait_jobs(1, Duration::from_secs(10));
    wait_alert(&api, "printer_paper_low", true).await;
    printer.set_mode(Mode::Ready);
    issue(&api, KIOSK, "hotich").await;
    printer.wait_jobs(2, Duration::from_secs(10));
    wait_alert(&api, "printer_paper_low", false).await;
}
