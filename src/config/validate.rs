//! Table-level checks of the raw config (uniqueness, cross references, ranges) and its
//! mapping to the validated types. Every check runs even after others failed, so the
//! operator sees all problems of the file in one go.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use super::access::{devices, staff};
use super::fields::{fmt_window, Ctx, WORK_DAYS};
use super::raw::{RawAppointments, RawCentre, RawConfig, RawCounter, RawService, S};
use super::Config;
use crate::domain::ids::{CounterId, ServiceId};
use crate::domain::spec::{
    CentreSpec, CounterSpec, Mode, OpeningHours, PriorityClass, ServiceSpec, SlotSpec, ALL_WEEKDAYS,
};

/// Checks `raw` and maps it to a [`Config`]; `base` is the folder relative paths start from.
/// The result is only meaningful when `ctx` collected no problem.
pub(super) fn validate(raw: RawConfig, ctx: &mut Ctx<'_>, base: Option<&Path>) -> Config {
    let centre = centre(raw.centre.as_ref(), ctx, base);
    if raw.services.is_empty() {
        ctx.report(
            None,
            "services",
            "at least one [[services]] table is required",
        );
    }
    if raw.counters.is_empty() {
        ctx.report(
            None,
            "counters",
            "at least one [[counters]] table is required",
        );
    }
    let services = services(&raw.services, ctx);
    let counters = counters(&raw.counters, &services, ctx);
    let priorities = priorities(&raw, ctx);
    let staff = staff(&raw, ctx, centre.photos_dir.is_some());
    let devices = devices(&raw, &counters, ctx);
    let mut audio = raw.audio;
    // The audio module checks its own values; its message starts with the key.
    if let Err(msg) = audio.validate() {
        let (field, message) = match msg.split_once([' ', ':']) {
            Some((key, rest)) if key.starts_with("audio.") => {
                (key, rest.trim_start_matches([':', ' ']))
            }
            _ => ("audio", msg.as_str()),
        };
        ctx.report_at_key(field, message);
    }
    if let (Some(dir), Some(base)) = (&audio.clips_dir, base) {
        if dir.is_relative() {
            audio.clips_dir = Some(base.join(dir));
        }
    }
    Config {
        spec: CentreSpec {
            name: centre.name,
            name_en: centre.name_en,
            timezone: centre.timezone,
            services,
            counters,
            priorities,
            priority_streak: centre.priority_streak,
            pause_alert_s: centre.pause_alert_s,
            personal_data_days: centre.personal_data_days,
        },
        remote_per_client: centre.remote_per_client,
        ticket_footer: centre.ticket_footer,
        device_offline_min: centre.device_offline_min,
        notice: centre.notice,
        notice_en: centre.notice_en,
        logo: centre.logo,
        public_url: centre.public_url,
        photos_dir: centre.photos_dir,
        staff,
        devices,
        audio,
        limits: super::limits::limits(raw.limits.as_ref(), ctx),
        server: super::server::server(raw.server.as_ref(), ctx, base),
        uplink: super::uplink::uplink(raw.uplink.as_ref(), ctx),
    }
}

struct Centre {
    name: String,
    name_en: String,
    timezone: Tz,
    priority_streak: u32,
    pause_alert_s: u32,
    remote_per_client: u32,
    personal_data_days: u32,
    ticket_footer: String,
    device_offline_min: u32,
    notice: Option<String>,
    notice_en: Option<String>,
    logo: Option<String>,
    public_url: Option<String>,
    photos_dir: Option<PathBuf>,
}

fn centre(c: Option<&S<RawCentre>>, ctx: &mut Ctx<'_>, base: Option<&Path>) -> Centre {
    let Some(c) = c else {
        ctx.report(
            None,
            "centre",
            "the [centre] table with its name is required",
        );
        return Centre {
            name: String::new(),
            name_en: String::new(),
            timezone: Tz::Asia__Ho_Chi_Minh,
            priority_streak: 3,
            pause_alert_s: 600,
            remote_per_client: 2,
            personal_data_days: 30,
            ticket_footer: super::DEFAULT_TICKET_FOOTER.to_string(),
            device_offline_min: 3,
            notice: None,
            notice_en: None,
            logo: None,
            public_url: None,
            photos_dir: None,
        };
    };
    let span = c.span();
    let c = c.get_ref();
    let name = ctx.required(&c.name, &span, "centre.name");
    let timezone = match &c.timezone {
        None => Tz::Asia__Ho_Chi_Minh,
        Some(tz) => tz.get_ref().trim().parse::<Tz>().unwrap_or_else(|_| {
            let msg = format!(
                "unknown time zone \"{}\" (e.g. \"Asia/Ho_Chi_Minh\")",
                tz.get_ref()
            );
            ctx.report(Some(tz.span()), "centre.timezone", msg);
            Tz::Asia__Ho_Chi_Minh
        }),
    };
    let photos_dir = ctx.optional(&c.photos_dir, "centre.photos_dir").map(|d| {
        let d = PathBuf::from(d);
        match base {
            Some(b) if d.is_relative() => b.join(d),
            _ => d,
        }
    });
    Centre {
        name_en: ctx
            .optional(&c.name_en, "centre.name_en")
            .unwrap_or_else(|| name.clone()),
        name,
        timezone,
        priority_streak: ctx.int(&c.priority_streak, "centre.priority_streak", 3, 1, 1000),
        pause_alert_s: 60 * ctx.int(&c.pause_alert_min, "centre.pause_alert_min", 10, 1, 24 * 60),
        remote_per_client: ctx.int(&c.remote_per_client, "centre.remote_per_client", 2, 1, 1000),
        personal_data_days: ctx.int(
            &c.personal_data_days,
            "centre.personal_data_days",
            30,
            0,
            3650,
        ),
        ticket_footer: ticket_footer(&c.ticket_footer, ctx),
        device_offline_min: ctx.int(
            &c.device_offline_min,
            "centre.device_offline_min",
            3,
            1,
            24 * 60,
        ),
        notice: ctx.optional(&c.notice, "centre.notice"),
        notice_en: ctx.optional(&c.notice_en, "centre.notice_en"),
        logo: ctx.optional(&c.logo, "centre.logo"),
        public_url: public_url(&c.public_url, ctx),
        photos_dir,
    }
}

/// `[centre] public_url`: an absolute http(s) base address, kept without a trailing slash.
fn public_url(v: &Option<S<String>>, ctx: &mut Ctx<'_>) -> Option<String> {
    let raw = v.as_ref()?;
    let url = raw.get_ref().trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.contains(char::is_whitespace)
                && !host.contains(['?', '#']) =>
        {
            Some(url.to_string())
        }
        _ => {
            ctx.report(
                Some(raw.span()),
                "centre.public_url",
                format!(
                    "\"{}\" is not an http:// or https:// address (e.g. \"https://xephang.tinh.gov.vn\")",
                    raw.get_ref()
                ),
            );
            None
        }
    }
}

/// Most characters of `[centre] ticket_footer` (about three printed lines on 58 mm paper).
const FOOTER_MAX: usize = 120;

fn ticket_footer(v: &Option<S<String>>, ctx: &mut Ctx<'_>) -> String {
    let Some(text) = ctx.optional(v, "centre.ticket_footer") else {
        return super::DEFAULT_TICKET_FOOTER.to_string();
    };
    let n = text.chars().count();
    if let (Some(s), true) = (v, n > FOOTER_MAX) {
        let msg = format!("too long ({n} characters); a ticket has room for {FOOTER_MAX}");
        ctx.report(Some(s.span()), "centre.ticket_footer", msg);
    }
    text
}

fn services(raw: &[S<RawService>], ctx: &mut Ctx<'_>) -> Vec<ServiceSpec> {
    let mut out: Vec<ServiceSpec> = Vec::new();
    let mut ids = HashMap::new();
    // Ranges that passed their own checks: (first, last, prefix, service id).
    let mut ranges: Vec<(u32, u32, Option<String>, String)> = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let span = s.span();
        let s = s.get_ref();
        let f = |k: &str| format!("services[{i}].{k}");
        let id = ctx.id(&s.id, &span, &f("id"));
        if let (Some(v), false) = (&s.id, id.is_empty()) {
            if let Some(line) = ctx.seen_before(&mut ids, id.clone(), v.span()) {
                let msg = format!("duplicate service id \"{id}\" (first defined at line {line})");
                ctx.report(Some(v.span()), &f("id"), msg);
            }
        }
        let name = ctx.required(&s.name, &span, &f("name"));
        let prefix = s.prefix.as_ref().and_then(|p| {
            let v = p.get_ref();
            let ok = (1..=2).contains(&v.len()) && v.chars().all(|c| c.is_ascii_uppercase());
            if !ok {
                let msg = format!("\"{v}\" must be 1 or 2 capital letters A-Z");
                ctx.report(Some(p.span()), &f("prefix"), msg);
            }
            ok.then(|| v.clone())
        });
        let mut bound = |v: &Option<S<i64>>, key: &str| match v {
            None => {
                ctx.report(Some(span.clone()), &f(key), "required key is missing");
                None
            }
            Some(n) => match u32::try_from(*n.get_ref()) {
                Ok(x) if x <= 999_999 => Some(x),
                _ => {
                    ctx.report(Some(n.span()), &f(key), "must be between 0 and 999999");
                    None
                }
            },
        };
        let (first, last) = (bound(&s.first, "first"), bound(&s.last, "last"));
        let last_span = s.last.as_ref().map(|l| l.span());
        let range = match (first, last) {
            (Some(a), Some(b)) if a > b => {
                let msg = format!("last ({b}) is below first ({a})");
                ctx.report(last_span.clone(), &f("last"), msg);
                None
            }
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        // A rejected prefix is already reported; comparing it as "no prefix" would mislead.
        let prefix_rejected = s.prefix.is_some() && prefix.is_none();
        if let (Some((a, b)), false) = (range, prefix_rejected) {
            let clash = ranges
                .iter()
                .find(|(x, y, p, _)| *p == prefix && *x <= b && a <= *y);
            if let Some((x, y, _, other)) = clash {
                let msg = format!("range {a}–{b} overlaps service \"{other}\" ({x}–{y})");
                ctx.report(last_span, &f("last"), msg);
            }
            ranges.push((a, b, prefix.clone(), id.clone()));
        }
        let (first, last) = range.unwrap_or((0, 0));
        out.push(ServiceSpec {
            id: ServiceId::new(id),
            name_en: ctx
                .optional(&s.name_en, &f("name_en"))
                .unwrap_or_else(|| name.clone()),
            name,
            prefix,
            first,
            last,
            target_wait_s: ctx.int(&s.target_wait_min, &f("target_wait_min"), 15, 1, 1440) * 60,
            default_service_s: ctx.int(&s.service_min, &f("service_min"), 5, 1, 1440) * 60,
            hours: OpeningHours {
                days: ctx.days(&s.days, &f("days"), &ALL_WEEKDAYS),
                windows: ctx.windows(&s.hours, &f("hours")),
                closed: s.closed.unwrap_or(false),
            },
            remote: s.remote.unwrap_or(false),
            remote_cap: ctx.int(&s.remote_cap, &f("remote_cap"), 200, 1, 100_000),
            appointments: s
                .appointments
                .as_ref()
                .map(|a| appointments(a, ctx, &f("appointments"))),
        });
    }
    out
}

fn appointments(a: &S<RawAppointments>, ctx: &mut Ctx<'_>, field: &str) -> SlotSpec {
    let span = a.span();
    let a = a.get_ref();
    let f = |k: &str| format!("{field}.{k}");
    let slot_min = ctx.int(&a.slot_min, &f("slot_min"), 15, 1, 1440);
    let windows = ctx.windows(&a.hours, &f("hours"));
    match &a.hours {
        None => ctx.report(Some(span), &f("hours"), "required key is missing"),
        Some(h) if h.get_ref().is_empty() => {
            ctx.report(Some(h.span()), &f("hours"), "must list at least one window")
        }
        Some(h) => {
            for w in &windows {
                let len = (w.end - w.start).num_minutes();
                if len < i64::from(slot_min) {
                    let msg = format!(
                        "window {} is shorter than one slot ({slot_min} min)",
                        fmt_window(w)
                    );
                    ctx.report(Some(h.span()), &f("hours"), msg);
                }
            }
        }
    }
    SlotSpec {
        slot_min,
        capacity: ctx.int(&a.capacity, &f("capacity"), 1, 1, 10_000),
        hours: OpeningHours {
            days: ctx.days(&a.days, &f("days"), &WORK_DAYS),
            windows,
            closed: false,
        },
        days_ahead: ctx.int(&a.days_ahead, &f("days_ahead"), 14, 0, 366),
        grace_min: ctx.int(
            &a.grace_min,
            &f("grace_min"),
            crate::domain::spec::DEFAULT_GRACE_MIN,
            0,
            1440,
        ),
        appointment_only: a.only.unwrap_or(false),
    }
}

fn counters(
    raw: &[S<RawCounter>],
    services: &[ServiceSpec],
    ctx: &mut Ctx<'_>,
) -> Vec<CounterSpec> {
    let mut known: Vec<&str> = Vec::new();
    for s in services {
        if !s.id.as_str().is_empty() && !known.contains(&s.id.as_str()) {
            known.push(s.id.as_str());
        }
    }
    let mut ids = HashMap::new();
    let mut out = Vec::new();
    for (i, c) in raw.iter().enumerate() {
        let span = c.span();
        let c = c.get_ref();
        let f = |k: &str| format!("counters[{i}].{k}");
        let id = match &c.id {
            None => {
                ctx.report(Some(span.clone()), &f("id"), "required key is missing");
                0
            }
            Some(v) => {
                let id = ctx.int(&c.id, &f("id"), 0, 1, u32::MAX);
                if id > 0 {
                    if let Some(line) = ctx.seen_before(&mut ids, id, v.span()) {
                        let msg =
                            format!("duplicate counter id {id} (first defined at line {line})");
                        ctx.report(Some(v.span()), &f("id"), msg);
                    }
                }
                id
            }
        };
        let mut list: Vec<ServiceId> = Vec::new();
        match &c.services {
            None => ctx.report(Some(span), &f("services"), "required key is missing"),
            Some(l) if l.get_ref().is_empty() => ctx.report(
                Some(l.span()),
                &f("services"),
                crate::domain::rules::EMPTY_COUNTER,
            ),
            Some(l) => {
                for s in l.get_ref() {
                    let sid = s.get_ref().as_str();
                    let Some(msg) =
                        crate::domain::rules::counter_service_problem(sid, &list, &known)
                    else {
                        list.push(ServiceId::new(sid));
                        continue;
                    };
                    ctx.report(Some(s.span()), &f("services"), msg);
                }
            }
        }
        let mode = match c.mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("fifo", _)) => Mode::Fifo,
            Some(("ordered", _)) => Mode::Ordered,
            Some((other, span)) => {
                let msg = format!("unknown mode \"{other}\" (expected fifo or ordered)");
                ctx.report(Some(span), &f("mode"), msg);
                Mode::Fifo
            }
        };
        out.push(CounterSpec {
            id: CounterId(id),
            name: ctx
                .optional(&c.name, &f("name"))
                .unwrap_or_else(|| format!("Quầy {id}")),
            services: list,
            mode,
        });
    }
    out
}

fn priorities(raw: &RawConfig, ctx: &mut Ctx<'_>) -> Vec<PriorityClass> {
    let mut ids = HashMap::new();
    let mut out = Vec::new();
    for (i, p) in raw.priorities.iter().enumerate() {
        let span = p.span();
        let p = p.get_ref();
        let f = |k: &str| format!("priorities[{i}].{k}");
        let id = ctx.id(&p.id, &span, &f("id"));
        if let (Some(v), false) = (&p.id, id.is_empty()) {
            if id == "appointment" {
                let msg = "\"appointment\" is reserved for booked tickets; choose another id";
                ctx.report(Some(v.span()), &f("id"), msg);
            } else if let Some(line) = ctx.seen_before(&mut ids, id.clone(), v.span()) {
                let msg = format!("duplicate priority id \"{id}\" (first defined at line {line})");
                ctx.report(Some(v.span()), &f("id"), msg);
            }
        }
        let name = ctx.required(&p.name, &span, &f("name"));
        let name_en = ctx
            .optional(&p.name_en, &f("name_en"))
            .unwrap_or_else(|| name.clone());
        out.push(PriorityClass { id, name, name_en });
    }
    out
}
