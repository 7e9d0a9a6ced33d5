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
