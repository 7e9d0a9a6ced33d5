//! `[uplink]`: where this lobby ships its events (the province hub, HUB.md). Optional: a
//! lobby without the table works alone, as it always did.
//!
//! ```toml
//! [uplink]
//! url = "https://xephang.tinh.gov.vn"   # the hub's base URL
//! centre = "tt-tinh"                    # this centre's id at the hub ([a-z0-9-]+)
//! token = "…"                           # the uplink token the hub lists for it (≥ 16)
//! ```

use serde::Deserialize;

use super::fields::Ctx;
use super::raw::S;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUplink {
    pub url: Option<S<String>>,
    pub centre: Option<S<String>>,
    pub token: Option<S<String>>,
}

/// The validated `[uplink]` table.
#[derive(Clone, PartialEq, Eq)]
pub struct Uplink {
    /// The hub's base URL, without a trailing `/`.
    pub url: String,
    pub centre: String,
    /// A credential: never in a log (Debug redacts it).
    pub token: String,
}

impl std::fmt::Debug for Uplink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uplink")
            .field("url", &self.url)
            .field("centre", &self.centre)
            .field("token", &"<redacted>")
            .finish()
    }
}

pub(super) fn uplink(raw: Option<&S<RawUplink>>, ctx: &mut Ctx<'_>) -> Option<Uplink> {
    let raw = raw?;
    let span = raw.span();
    let r = raw.get_ref();
    let url = ctx.required(&r.url, &span, "uplink.url");
    if let Some(u) = &r.url {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() > "http://".len()
            && !url.contains(char::is_whitespace)
            && !url.contains(['?', '#']);
        if !ok {
            ctx.report(
                Some(u.span()),
                "uplink.url",
                "must be the hub's base URL, e.g. \"https://xephang.tinh.gov.vn\"",
            );
        }
    }
    let centre = ctx.required(&r.centre, &span, "uplink.centre");
    if let Some(c) = &r.centre {
        let ok = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-';
        if !centre.is_empty() && !centre.chars().all(ok) {
            let msg = format!("\"{centre}\" may only contain a-z, 0-9 and -");
            ctx.report(Some(c.span()), "uplink.centre", msg);
        }
    }
    // The token itself never goes into a message: messages end up in logs.
    let token = match &r.token {
        None => {
            ctx.report(Some(span), "uplink.token", "required key is missing");
            String::new()
        }
        Some(t) => {
            let v = t.get_ref();
            let n = v.chars().count();
            if n < 16 {
                let msg = format!("too short ({n} characters); use at least 16");
                ctx.report(Some(t.span()), "uplink.token", msg);
            } else if !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
            {
                let msg = "use only letters A-Z a-z, digits and - _ . ~";
                ctx.report(Some(t.span()), "uplink.token", msg);
            }
            v.clone()
        }
    };
    Some(Uplink {
        url: url.trim_end_matches('/').to_string(),
        centre,
        token,
    })
}
