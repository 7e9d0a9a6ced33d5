//! The bodies of the fuzz targets, as plain functions, so that `tests/fuzz_corpus.rs` in the
//! main crate can replay the committed corpus through exactly the same code without libFuzzer
//! (the CI smoke; see RELIABILITY.md). The `http_request` target lives in its own modules:
//! its input encoding (`http_input.rs`), the in-process daemon (`http_app.rs`), the harness
//! (`http_request.rs`) and its oracles (`http_oracles.rs`).

mod http_app;
pub mod http_input;
mod http_oracles;
mod http_request;

pub use http_request::http_request;

use std::str::FromStr;

use axum::extract::Query;
use axum::http::Uri;
use axum::Json;
use xephang::api::{bookings, command, counters, day_data, remote, reports, session, tickets, ws};
use xephang::domain::ids::TicketId;
use xephang::journal::{decode_line, encode_line};

/// A journal line: the raw bytes as a line, and the bytes as the JSON of a line with a correct
/// checksum (so that the fuzzer reaches the event parser without having to forge a CRC-32).
/// Whatever decodes must encode back to a line that decodes to the same envelope.
pub fn journal_line(data: &[u8]) {
    check_line(data);
    let mut line = format!("{:08x} ", crc32(data)).into_bytes();
    line.extend_from_slice(data);
    check_line(&line);
}

fn check_line(line: &[u8]) {
    if let Ok(env) = decode_line(line) {
        let mut buf = Vec::new();
        encode_line(&env, &mut buf).expect("a decoded envelope encodes");
        assert_eq!(
            buf.last(),
            Some(&b'\n'),
            "an encoded line ends with a newline"
        );
        let again = decode_line(&buf[..buf.len() - 1]);
        assert_eq!(
            again.as_ref().ok(),
            Some(&env),
            "journal line does not round-trip"
        );
    }
}

/// CRC-32 (IEEE), as the journal computes it (bitwise; speed is irrelevant here).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A config file: any text, parsed and validated; problems are fine, panics are not. A
/// successful parse must give a centre with at least one service and one counter.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match xephang::config::parse(text, "fuzz/centre.toml") {
        Ok(cfg) => {
            assert!(
                !cfg.spec.services.is_empty(),
                "a centre without services was accepted"
            );
            assert!(
                !cfg.spec.counters.is_empty(),
                "a centre without counters was accepted"
            );
        }
        Err(e) => {
            assert!(!e.problems.is_empty(), "an error without problems");
            let _ = e.to_string();
        }
    }
}

/// Client input: the bytes as every JSON body (`axum::Json::from_bytes`, what the `ApiJson`
/// extractor runs after reading the body), as the query string of each query type
/// (`Query::try_from_uri`, what the `Query` extractor runs), and as a ticket id.
pub fn api_input(data: &[u8]) {
    let _ = Json::<tickets::IssueBody>::from_bytes(data);
    let _ = Json::<tickets::RateBody>::from_bytes(data);
    let _ = Json::<bookings::BookBody>::from_bytes(data);
    let _ = Json::<bookings::CheckInBody>::from_bytes(data);
    let _ = Json::<session::LoginBody>::from_bytes(data);
    let _ = Json::<counters::TransferBody>::from_bytes(data);
    let _ = Json::<counters::StatusBody>::from_bytes(data);
    let _ = Json::<reports::DossierBody>::from_bytes(data);
    let _ = Json::<remote::RemoteBody>::from_bytes(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = TicketId::from_str(text);
    let _ = command::parse_ticket_id(text);
    if let Ok(uri) = Uri::try_from(format!("/ws?{text}")) {
        let _ = Query::<ws::WsQuery>::try_from_uri(&uri);
        let _ = Query::<bookings::SlotsQuery>::try_from_uri(&uri);
        let _ = Query::<day_data::DayQuery>::try_from_uri(&uri);
    }
}
