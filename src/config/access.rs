//! Who may use the system: staff who log in with a PIN (stored as an argon2id hash) and
//! devices that authenticate with a fixed token. Checked strictly, since a mistake here is
//! either a lock-out or a hole.

use std::collections::HashMap;

use argon2::password_hash::PasswordHash;

use super::fields::{list_or_none, Ctx};
use super::raw::RawConfig;
use super::{DeviceRole, DeviceSpec, StaffSpec};
use crate::domain::ids::{CounterId, StaffId};
use crate::domain::spec::CounterSpec;

pub(super) fn staff(raw: &RawConfig, ctx: &mut Ctx<'_>, has_photos_dir: bool) -> Vec<StaffSpec> {
    let mut ids = HashMap::new();
    let mut out = Vec::new();
    for (i, s) in raw.staff.iter().enumerate() {
        let span = s.span();
        let s = s.get_ref();
        let f = |k: &str| format!("staff[{i}].{k}");
        let id = ctx.required(&s.id, &span, &f("id"));
        if let (Some(v), false) = (&s.id, id.is_empty()) {
            let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
            if !id.chars().all(ok) {
                let msg = format!("\"{id}\" may only contain letters A-Z a-z, digits, _ and -");
                ctx.report(Some(v.span()), &f("id"), msg);
            } else if let Some(line) = ctx.seen_before(&mut ids, id.clone(), v.span()) {
                let msg = format!("duplicate staff id \"{id}\" (first defined at line {line})");
                ctx.report(Some(v.span()), &f("id"), msg);
            }
        }
        let name = ctx.required(&s.name, &span, &f("name"));
        let pin_hash = ctx.required(&s.pin_hash, &span, &f("pin_hash"));
        if let (Some(v), false) = (&s.pin_hash, pin_hash.is_empty()) {
            if !is_argon2id(&pin_hash) {
                let msg = "not an argon2id hash; run `xephang hash-pin`";
                ctx.report(Some(v.span()), &f("pin_hash"), msg);
            }
        }
        let photo = s.photo.as_ref().map(|p| {
            let name = ctx.non_empty(p, &f("photo"));
            if name.contains(['/', '\\']) || name.starts_with('.') {
                let msg = format!("\"{name}\" must be a plain file name inside centre.photos_dir");
                ctx.report(Some(p.span()), &f("photo"), msg);
            } else if !has_photos_dir {
                let msg = "a photo needs centre.photos_dir, the folder it is in";
                ctx.report(Some(p.span()), &f("photo"), msg);
            }
            name
        });
        out.push(StaffSpec {
            id: StaffId(id),
            name,
            pin_hash,
            supervisor: s.supervisor.unwrap_or(false),
            photo,
            disabled: s.disabled.unwrap_or(false),
            must_change_pin: s.must_change_pin.unwrap_or(false),
        });
    }
    out
}

/// Whether `s` is a PHC string of argon2id with parameters argon2 accepts.
pub(super) fn is_argon2id(s: &str) -> bool {
    match PasswordHash::new(s) {
        Ok(h) => {
            h.algorithm.as_str() == "argon2id"
                && h.hash.is_some()
                && argon2::Params::try_from(&h).is_ok()
        }
        Err(_) => false,
    }
}

pub(super) fn devices(
    raw: &RawConfig,
    counters: &[CounterSpec],
    ctx: &mut Ctx<'_>,
) -> Vec<DeviceSpec> {
    let mut tokens = HashMap::new();
    let mut out = Vec::new();
    for (i, d) in raw.devices.iter().enumerate() {
        let span = d.span();
        let d = d.get_ref();
        let f = |k: &str| format!("devices[{i}].{k}");
        let name = ctx.required(&d.name, &span, &f("name"));
        let role = match d.role.as_ref().map(|r| (r.get_ref().as_str(), r.span())) {
            None => {
                ctx.report(Some(span.clone()), &f("role"), "required key is missing");
                None
            }
            Some(("display", _)) => Some(DeviceRole::Display),
            Some(("kiosk", _)) => Some(DeviceRole::Kiosk),
            Some(("rating", _)) => Some(DeviceRole::Rating),
            Some(("supervisor", _)) => Some(DeviceRole::Supervisor),
            Some((other, span)) => {
                let msg = format!(
                    "unknown role \"{other}\" (expected display, kiosk, rating or supervisor)"
                );
                ctx.report(Some(span), &f("role"), msg);
                None
            }
        };
        // The token itself never goes into a message: messages end up in logs.
        let token_sha256 = match (&d.token, &d.token_sha256) {
            (Some(_), Some(h)) => {
                let msg = "give either token or token_sha256, not both";
                ctx.report(Some(h.span()), &f("token_sha256"), msg);
                None
            }
            (None, Some(h)) => {
                let v = h.get_ref();
                if v.len() != 64
                    || !v
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    let msg = "must be 64 lowercase hexadecimal digits (the token's SHA-256)";
                    ctx.report(Some(h.span()), &f("token_sha256"), msg);
                }
                Some(v.clone())
            }
            _ => None,
        };
        let token = match &d.token {
            None if token_sha256.is_some() => String::new(),
            None => {
                ctx.report(Some(span.clone()), &f("token"), "required key is missing");
                String::new()
            }
            Some(t) => {
                let v = t.get_ref();
                let n = v.chars().count();
                if n < 16 {
                    let msg = format!("too short ({n} characters); use at least 16");
                    ctx.report(Some(t.span()), &f("token"), msg);
                } else if !v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
                {
                    // Tokens travel in URLs (`?token=`): only characters that need no escaping.
                    let msg = "use only letters A-Z a-z, digits and - _ . ~ \
                               (e.g. the output of `openssl rand -hex 16`)";
                    ctx.report(Some(t.span()), &f("token"), msg);
                } else if let Some(line) = ctx.seen_before(&mut tokens, v.clone(), t.span()) {
                    let msg =
                        format!("same token as the device at line {line}; tokens must differ");
                    ctx.report(Some(t.span()), &f("token"), msg);
                }
                v.clone()
            }
        };
        let counter = match (&d.counter, role) {
            (None, Some(DeviceRole::Rating)) => {
                let msg = "a rating device needs the counter it stands at";
                ctx.report(Some(span), &f("counter"), msg);
                None
            }
            // A display with a counter is that counter's own screen (`/display/{n}`).
            (Some(c), Some(DeviceRole::Rating | DeviceRole::Display)) => {
                let n = *c.get_ref();
                if counters.iter().any(|k| i64::from(k.id.0) == n) {
                    u32::try_from(n).ok().map(CounterId)
                } else {
                    let mut known: Vec<u32> = counters.iter().map(|k| k.id.0).collect();
                    known.retain(|&k| k > 0);
                    known.sort_unstable();
                    known.dedup();
                    let msg = format!("unknown counter {n} (known: {})", list_or_none(&known));
                    ctx.report(Some(c.span()), &f("counter"), msg);
                    None
                }
            }
            (Some(c), Some(_)) => {
                let msg = "only rating and display devices belong to a counter; remove this key";
                ctx.report(Some(c.span()), &f("counter"), msg);
                None
            }
            (None, Some(_)) | (_, None) => None,
        };
        let printer = printer(d, role, ctx, &f);
        out.push(DeviceSpec {
            name,
            role: role.unwrap_or(DeviceRole::Display),
            token,
            token_sha256,
            counter,
            printer,
        });
    }
    out
}

/// A kiosk's `printer` and `paper_mm` (other roles have none).
fn printer(
    d: &super::raw::RawDevice,
    role: Option<DeviceRole>,
    ctx: &mut Ctx<'_>,
    f: &dyn Fn(&str) -> String,
) -> Option<crate::print::PrinterSpec> {
    use crate::print::{Paper, PrinterSpec, PrinterTarget};
    let paper = match &d.paper_mm {
        None => Paper::default(),
        Some(mm) => Paper::from_mm(*mm.get_ref()).unwrap_or_else(|| {
            let msg = format!("{} mm paper is not supported (use 80 or 58)", mm.get_ref());
            ctx.report(Some(mm.span()), &f("paper_mm"), msg);
            Paper::default()
        }),
    };
    match (&d.printer, role) {
        (None, _) => {
            if let Some(mm) = &d.paper_mm {
                let msg = "paper_mm belongs with a printer; add `printer` or remove this key";
                ctx.report(Some(mm.span()), &f("paper_mm"), msg);
            }
            None
        }
        (Some(p), Some(DeviceRole::Kiosk)) => match PrinterTarget::parse(p.get_ref()) {
            Ok(target) => Some(PrinterSpec { target, paper }),
            Err(msg) => {
                ctx.report(Some(p.span()), &f("printer"), msg);
                None
            }
        },
        (Some(p), Some(_)) => {
            let msg = "only kiosk devices have a ticket printer; remove this key";
            ctx.report(Some(p.span()), &f("printer"), msg);
            None
        }
        (Some(_), None) => None,
    }
}
