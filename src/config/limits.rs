//! `[limits]`: abuse limits of the HTTP and WebSocket face, each with a generous default, so
//! a file without the table is a valid centre (see README, "Configuration").

use serde::Deserialize;

use super::fields::Ctx;
use super::raw::S;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    pub issue_per_min_token: Option<S<i64>>,
    pub issue_per_min_ip: Option<S<i64>>,
    pub ws_total: Option<S<i64>>,
    pub ws_per_ip: Option<S<i64>>,
    pub exempt_loopback: Option<bool>,
    pub request_timeout_s: Option<S<i64>>,
    pub header_timeout_s: Option<S<i64>>,
}

/// The validated `[limits]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Tickets one kiosk token may issue per minute (a bucket of this size, refilled evenly).
    pub issue_per_min_token: u32,
    /// Tickets one client address may issue per minute, whatever its token.
    pub issue_per_min_ip: u32,
    /// Open WebSockets in all.
    pub ws_total: u32,
    /// Open WebSockets from one client address.
    pub ws_per_ip: u32,
    /// 127.0.0.1 / ::1 (the daemon's own PC: its browser screens, the load benchmark) is
    /// exempt from the per-token and per-address limits; the total WebSocket cap still holds.
    pub exempt_loopback: bool,
    /// A request must be answered within this (408 after it); WebSockets are not affected.
    pub request_timeout_s: u32,
    /// A client must send a request's headers within this, or its connection is closed.
    pub header_timeout_s: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            issue_per_min_token: 60,
            issue_per_min_ip: 120,
            ws_total: 20_000,
            ws_per_ip: 200,
            exempt_loopback: true,
            request_timeout_s: 30,
            header_timeout_s: 10,
        }
    }
}

pub(super) fn limits(raw: Option<&S<RawLimits>>, ctx: &mut Ctx<'_>) -> Limits {
    let d = Limits::default();
    let Some(raw) = raw else { return d };
    let r = raw.get_ref();
    Limits {
        issue_per_min_token: ctx.int(
            &r.issue_per_min_token,
            "limits.issue_per_min_token",
            d.issue_per_min_token,
            1,
            100_000,
        ),
        issue_per_min_ip: ctx.int(
            &r.issue_per_min_ip,
            "limits.issue_per_min_ip",
            d.issue_per_min_ip,
            1,
            100_000,
        ),
        ws_total: ctx.int(&r.ws_total, "limits.ws_total", d.ws_total, 1, 1_000_000),
        ws_per_ip: ctx.int(&r.ws_per_ip, "limits.ws_per_ip", d.ws_per_ip, 1, 1_000_000),
        exempt_loopback: r.exempt_loopback.unwrap_or(d.exempt_loopback),
        request_timeout_s: ctx.int(
            &r.request_timeout_s,
            "limits.request_timeout_s",
            d.request_timeout_s,
            1,
            3600,
        ),
        header_timeout_s: ctx.int(
            &r.header_timeout_s,
            "limits.header_timeout_s",
            d.header_timeout_s,
            1,
            3600,
        ),
    }
}
