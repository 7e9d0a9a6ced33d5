//! Printing benchmark (issue 16), results in BENCHMARKS.md:
//!
//! 1. render time of a ticket raster (text with the vendored font, the QR code, 1-bit) at
//!    80 mm and 58 mm, and of the ESC/POS job (render + encode): target ≤ 10 ms;
//! 2. issue → last byte at the printer: a release daemon whose kiosk prints on a fake
//!    ESC/POS network printer (tests/print_fake, status queries answered "ready"); 200
//!    tickets issued one after the other through the API; for each, the time from sending
//!    `POST /api/v1/tickets` to the last byte of its job arriving at the printer.
//!
//! `cargo bench --bench print` (PRINT_BENCH_TICKETS overrides 200).

#[path = "../tests/print_fake/mod.rs"]
mod print_fake;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use print_fake::{FakePrinter, Mode};
use xephang::print::content::sample;
use xephang::print::escpos::encode;
use xephang::print::render::render;
use xephang::print::Paper;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "| {name} | {} | {} | {} | {} | {} |",
        v.len(),
        ms(percentile(&v, 0.5)),
        ms(percentile(&v, 0.9)),
        ms(percentile(&v, 0.99)),
        ms(*v.last().unwrap_or(&Duration::ZERO))
    );
}

fn render_times() {
    let content = sample(
        "Trung tâm Phục vụ hành chính công tỉnh Demo",
        "Vui lòng giữ phiếu và chú ý bảng gọi số.",
        "http://192.168.1.10:8080/t/01JDEMO0000000000000000000",
    );
    // Warm up (fonts parsed once).
    let _ = render(&content, Paper::Mm80).expect("render");
    for (name, paper) in [("render 80 mm", Paper::Mm80), ("render 58 mm", Paper::Mm58)] {
        let v = (0..300)
            .map(|_| {
                let t = Instant::now();
                let r = render(&content, paper).expect("render");
                std::hint::black_box(&r);
                t.elapsed()
            })
            .collect();
        report(name, v);
    }
    let v = (0..300)
        .map(|_| {
            let t = Instant::now();
            let bytes = encode(&render(&content, Paper::Mm80).expect("render"));
            std::hint::black_box(&bytes);
            t.elapsed()
        })
        .collect();
    report("render + ESC/POS encode 80 mm", v);
}

fn issue_to_last_byte(tickets: usize) {
    let printer = FakePrinter::start(Mode::Ready);
    let dir = tempfile::tempdir().expect("tempdir");
    let config =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml"))
            .expect("default config")
            .replace(
                "token = \"demo-kiosk-token-00001\"",
                &format!(
                    "token = \"demo-kiosk-token-00001\"\nprinter = \"{}\"",
                    printer.url()
                ),
            );
    let file = dir.path().join("centre.toml");
    std::fs::write(&file, config).expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_xephang"))
        .args(["run", "--bind", "127.0.0.1:0", "--config"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the daemon");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    let base = first
        .trim()
        .strip_prefix("xephang listening on ")
        .expect("listening line")
        .to_string();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let http = reqwest::Client::new();
    let mut v = Vec::with_capacity(tickets);
    let services = ["hotich", "chungthuc", "datdai"];
    for i in 0..tickets {
        let t0 = Instant::now();
        let status = rt.block_on(async {
            http.post(format!("{base}/api/v1/tickets"))
                .bearer_auth("demo-kiosk-token-00001")
                .json(&serde_json::json!({"service": services[i % services.len()]}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        assert_eq!(status.ok(), Some(201), "ticket {i}");
        let until = Instant::now() + Duration::from_secs(10);
        let done = loop {
            if let Some(at) = printer.job_done(i) {
                break at;
            }
            assert!(Instant::now() < until, "ticket {i} never printed");
            std::thread::sleep(Duration::from_micros(200));
        };
        v.push(done.saturating_duration_since(t0));
    }
    let _ = child.kill();
    let _ = child.wait();
    report(
        &format!("issue → last byte at the printer ({tickets} tickets)"),
        v,
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let tickets = std::env::var("PRINT_BENCH_TICKETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    println!("| measure | n | p50 | p90 | p99 | max |");
    println!("| --- | --- | --- | --- | --- | --- |");
    render_times();
    issue_to_last_byte(tickets);
}
