//! The lobby → hub wire format of `POST /api/v1/uplink` (documented in docs/HUB-SQL.md,
//! "Uplink"). JSON, `Authorization: Bearer <the centre's uplink token>`.
//!
//! A request is a [`Push`]: the centre, the data dir's identity, the lobby's own latest seq,
//! optionally the centre's spec and screen facts (sent on the first request after the
//! uplink starts, and whenever the hub answers `spec_needed`), and committed events in seq
//! order, personal data removed ([`crate::domain::scrub`]). An empty `events` list is a
//! handshake / heartbeat. The hub answers 200 with an [`Ack`]: the last seq it holds for the
//! centre; the lobby resumes after it. Errors are the API's JSON errors; the codes the
//! uplink acts on:
//! - 409 `identity_mismatch`: another data dir pushed this centre first (a wiped lobby);
//!   nothing stored until an operator resolves it at the hub;
//! - 409 `uplink_gap`: the batch starts after the hub's last seq + 1 (the lobby then asks
//!   with a handshake and resumes after the answer);
//! - 409 `spec_needed`: the hub has no spec for the centre yet;
//! - 401 `unauthorized`: wrong token for that centre.

use serde::{Deserialize, Serialize};

use crate::domain::spec::CentreSpec;
use crate::domain::Envelope;
use crate::read::CentreInfo;

/// Most events in one request (the hub refuses more).
pub const MAX_EVENTS: usize = 2000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Push {
    pub centre: String,
    pub identity: String,
    /// The lobby's latest committed seq (how far behind the hub is).
    pub lobby_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<CentreSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<CentreInfo>,
    #[serde(default)]
    pub events: Vec<Envelope>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ack {
    /// The last seq the hub holds for the centre (0: none yet).
    pub last_seq: u64,
}

/// The error body of the API (`{"error":{"code","message"}}`), as the uplink reads it.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

/// A [`Push`] without its events, borrowed: what the lobby sends before the `events`
/// array, which comes already encoded (by the uplink's reader thread, or [`events_json`]).
#[derive(Serialize)]
pub struct PushHead<'a> {
    pub centre: &'a str,
    pub identity: &'a str,
    pub lobby_seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<&'a CentreSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<&'a CentreInfo>,
}

/// The body of a push: the head's JSON object with `"events": <events>` added, where
/// `events` is a JSON array. Decodes as the [`Push`] with those events.
pub fn encode(head: &PushHead<'_>, events: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(events.len() + 256);
    serde_json::to_writer(&mut out, head)?;
    // The head always has `centre`, so it ends with `…}` after at least one member.
    out.pop();
    out.extend_from_slice(b",\"events\":");
    out.extend_from_slice(events);
    out.push(b'}');
    Ok(out)
}

/// A JSON array of the given events (the live path's few events).
pub fn events_json(events: &[Envelope]) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_encoded_from_its_head_decodes_as_the_push() {
        let events = br#"[{"seq":7,"at":"2026-03-02T09:00:00+07:00","event":{"type":"alert_cleared","key":"k"}}]"#;
        let head = PushHead {
            centre: "lobby \"1\"",
            identity: "id",
            lobby_seq: 9,
            spec: None,
            info: None,
        };
        let body = encode(&head, events).expect("encodes");
        let p: Push = serde_json::from_slice(&body).expect("decodes");
        assert_eq!(
            (p.centre.as_str(), p.identity.as_str(), p.lobby_seq),
            ("lobby \"1\"", "id", 9)
        );
        assert_eq!(p.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![7]);
        assert!(p.spec.is_none());
        let empty = encode(&head, b"[]").expect("encodes");
        let p: Push = serde_json::from_slice(&empty).expect("decodes");
        assert!(p.events.is_empty());
    }
}
