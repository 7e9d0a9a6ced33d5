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
    pub http_total: Option<S<i64>>,
    pub http_per_ip: Option<S<i64>>,
    pub exempt_loopback: Option<bool>,
    pub request_timeout_s: Option<S<i64>>,
    pub header_timeout_s: Option<S<i64>>,
    pub code_failures: Option<S<i64>>,
    pub code_window_s: Option<S<i64>>,
    pub code_lockout_s: Option<S<i64>>,
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
    /// Open HTTP connections in all, WebSockets included (a connection past it gets 503
    /// `unavailable` and is closed, before its request is read).
    pub http_total: u32,
    /// Open HTTP connections from one client address, WebSockets included (429 past it).
    pub http_per_ip: u32,
    /// 127.0.0.1 / ::1 (the daemon's own PC: its browser screens, the load benchmark) is
    /// exempt from the per-token and per-address limits; the total WebSocket cap still holds.
    pub exempt_loopback: bool,
    /// A request must be answered within this (408 after it); WebSockets are not affected.
    pub request_timeout_s: u32,
    /// A client must send a request's headers within this, or its connection is closed.
    pub header_timeout_s: u32,
    /// Wrong booking codes (`unknown_booking` from `DELETE /api/v1/bookings/{code}` and
    /// `POST /api/v1/checkins`) one client address, or one token, may send within
    /// `code_window_s` before it is locked out of both routes for `code_lockout_s`.
    pub code_failures: u32,
    /// The window in which `code_failures` wrong codes lock a client out.
    pub code_window_s: u32,
    /// How long a client that sent too many wrong codes is refused (429, even a right code).
    pub code_lockout_s: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            issue_per_min_token: 60,
            issue_per_min_ip: 120,
            ws_total: 20_000,
            ws_per_ip: 200,
            http_total: 25_000,
            http_per_ip: 300,
            exempt_loopback: true,
            request_timeout_s: 30,
            header_timeout_s: 10,
            code_failures: 10,
            code_window_s: 600,
            code_lockout_s: 600,
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
        http_total: ctx.int(
            &r.http_total,
            "limits.http_total",
            d.http_total,
            1,
            1_000_000,
        ),
        http_per_ip: ctx.int(
            &r.http_per_ip,
            "limits.http_per_ip",
            d.http_per_ip,
            1,
            1_000_000,
        ),
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
        code_failures: ctx.int(
            &r.code_failures,
            "limits.code_failures",
            d.code_failures,
            1,
            10_000,
        ),
        code_window_s: ctx.int(
            &r.code_window_s,
            "limits.code_window_s",
            d.code_window_s,
            1,
            86_400,
        ),
        code_lockout_s: ctx.int(
            &r.code_lockout_s,
            "limits.code_lockout_s",
            d.code_lockout_s,
            1,
            86_400,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_problem, BASE};

    #[test]
    fn code_limits_have_defaults_and_are_read() {
        let c = super::super::parse(BASE, "centre.toml").expect("base parses");
        assert_eq!(
            (
                c.limits.code_failures,
                c.limits.code_window_s,
                c.limits.code_lockout_s
            ),
            (10, 600, 600)
        );
        let text = format!(
            "{BASE}\n[limits]\ncode_failures = 3\ncode_window_s = 60\ncode_lockout_s = 30\n"
        );
        let c = super::super::parse(&text, "centre.toml").expect("parses");
        assert_eq!(
            (
                c.limits.code_failures,
                c.limits.code_window_s,
                c.limits.code_lockout_s
            ),
            (3, 60, 30)
        );
    }

    #[test]
    fn connection_caps_have_defaults_and_are_read() {
        let c = super::super::parse(BASE, "centre.toml").expect("base parses");
        assert_eq!((c.limits.http_total, c.limits.http_per_ip), (25_000, 300));
        let text = format!("{BASE}\n[limits]\nhttp_total = 500\nhttp_per_ip = 20\n");
        let c = super::super::parse(&text, "centre.toml").expect("parses");
        assert_eq!((c.limits.http_total, c.limits.http_per_ip), (500, 20));
        let zero = format!("{BASE}\n[limits]\nhttp_per_ip = 0\n");
        assert_problem(&zero, "http_per_ip", "limits.http_per_ip", "");
    }

    #[test]
    fn code_limits_out_of_range_or_misspelt_are_errors() {
        let zero = format!("{BASE}\n[limits]\ncode_failures = 0\n");
        assert_problem(&zero, "code_failures", "limits.code_failures", "");
        let long = format!("{BASE}\n[limits]\ncode_lockout_s = 100000\n");
        assert_problem(&long, "code_lockout_s", "limits.code_lockout_s", "");
        let typo = format!("{BASE}\n[limits]\ncode_failure = 3\n");
        assert_problem(
            &typo,
            "code_failure =",
            "limits.code_failure",
            "unknown key",
        );
    }
}
