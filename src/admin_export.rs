//! `xephang config export`: the effective configuration — the config file with the admin
//! page's journalled changes (`domain::admin`) — written as a TOML file that `check-config`
//! accepts, for back-ups and for moving a centre to a new PC.
//!
//! The file is re-written from its parsed tables (comments are not kept). Staff added on
//! the page come with their PIN hash; devices added on the page with `token_sha256` (the
//! daemon never kept their token). Disabled staff are written with `disabled = true`, a clerk
//! who still has to change a one-time PIN with `must_change_pin = true`, a service that
//! stopped issuing with `closed = true`; revoked devices are left out (their token is dead).
//! Photos uploaded on the page stay in the old data dir's `photos/` (copy them along).

use std::path::Path;

use toml::{Table, Value};

use crate::config::{self, Config};
use crate::domain::admin::Overlay;
use crate::domain::admin_roster::{BaseDevice, BaseRoster, BaseStaff, Roster, Source};
use crate::domain::rules::fmt_window;
use crate::domain::State;

/// Why the export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("the config file is not a TOML table: {0}")]
    Toml(String),
    #[error("cannot read the journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
}

/// The admin overlay as the journal's last day with events leaves it.
pub fn overlay_of(config: &Config, data_dir: &Path) -> Result<Overlay, ExportError> {
    let dir = data_dir.join("journal");
    let Some(day) = crate::journal::days(&dir).last().copied() else {
        return Ok(Overlay::default());
    };
    let after = day.succ_opt().unwrap_or(day);
    let Some((day, events)) = crate::journal::last_day_with_events(&dir, after)? else {
        return Ok(Overlay::default());
    };
    let state = State::replay(&config.spec, day, &events);
    Ok((*state.overlay).clone())
}

/// The effective configuration as TOML: `text` is the config file (`name` names it).
pub fn export(text: &str, name: &str, overlay: &Overlay) -> Result<String, ExportError> {
    let config = config::parse(text, name)?;
    let mut doc: Table = text
        .parse()
        .map_err(|e: toml::de::Error| ExportError::Toml(e.to_string()))?;
    let spec = overlay.effective(&config.spec);

    if let Some(n) = &overlay.notice {
        let centre = table(&mut doc, "centre");
        for (key, v) in [("notice", &n.vi), ("notice_en", &n.en)] {
            match v {
                Some(v) => {
                    centre.insert(key.into(), Value::String(v.clone()));
                }
                None => {
                    centre.remove(key);
                }
            }
        }
    }
    for s in array(&mut doc, "services") {
        let Some(id) = s.get("id").and_then(Value::as_str).map(str::to_string) else {
            continue;
        };
        let Some(p) = overlay.services.iter().find(|p| p.id.as_str() == id) else {
            continue;
        };
        let Some(e) = spec.services.iter().find(|x| x.id.as_str() == id) else {
            continue;
        };
        s.insert("name".into(), Value::String(e.name.clone()));
        s.insert("name_en".into(), Value::String(e.name_en.clone()));
        if let Some(h) = &p.hours {
            if h.is_empty() {
                s.remove("hours");
            } else {
                let list = h.iter().map(|w| Value::String(fmt_window(w))).collect();
                s.insert("hours".into(), Value::Array(list));
            }
        }
        s.insert(
            "target_wait_min".into(),
            Value::Integer(i64::from(e.target_wait_s.div_ceil(60))),
        );
        s.insert("remote".into(), Value::Boolean(e.remote));
        if e.hours.closed {
            s.insert("closed".into(), Value::Boolean(true));
        } else {
            s.remove("closed");
        }
        if e.appointments.is_none() {
            // Stopped on the page (`appointments: false`).
            s.remove("appointments");
        }
        if let (Some(_), Some(a)) = (&p.appointments, &e.appointments) {
            let mut t = Table::new();
            t.insert("slot_min".into(), Value::Integer(a.slot_min.into()));
            t.insert("capacity".into(), Value::Integer(a.capacity.into()));
            t.insert("days".into(), days(&a.hours.days));
            let hours = a.hours.windows.iter().map(|w| Value::String(fmt_window(w)));
            t.insert("hours".into(), Value::Array(hours.collect()));
            t.insert("days_ahead".into(), Value::Integer(a.days_ahead.into()));
            t.insert("grace_min".into(), Value::Integer(a.grace_min.into()));
            t.insert("only".into(), Value::Boolean(a.appointment_only));
            s.insert("appointments".into(), Value::Table(t));
        }
    }
    for c in array(&mut doc, "counters") {
        let Some(id) = c.get("id").and_then(Value::as_integer) else {
            continue;
        };
        let Some(p) = overlay
            .counters
            .iter()
            .find(|p| i64::from(p.counter.0) == id)
        else {
            continue;
        };
        let list = p
            .services
            .iter()
            .map(|s| Value::String(s.to_string()))
            .collect();
        c.insert("services".into(), Value::Array(list));
        let mode = match p.mode {
            crate::domain::spec::Mode::Fifo => "fifo",
            crate::domain::spec::Mode::Ordered => "ordered",
        };
        c.insert("mode".into(), Value::String(mode.into()));
    }
    let roster = Roster::of(&base_roster(&config), overlay);
    export_staff(&mut doc, &roster);
    export_devices(&mut doc, &roster);
    toml::to_string(&doc).map_err(|e| ExportError::Toml(e.to_string()))
}

fn export_staff(doc: &mut Table, roster: &Roster) {
    let old: Vec<Table> = array(doc, "staff").map(|t| t.clone()).collect();
    let mut out = Vec::new();
    for s in &roster.staff {
        let mut t = old
            .iter()
            .find(|t| t.get("id").and_then(Value::as_str) == Some(s.id.0.as_str()))
            .cloned()
            .unwrap_or_default();
        t.insert("id".into(), Value::String(s.id.0.clone()));
        t.insert("name".into(), Value::String(s.name.clone()));
        t.insert("pin_hash".into(), Value::String(s.pin_hash.clone()));
        t.remove("pin");
        if s.supervisor {
            t.insert("supervisor".into(), Value::Boolean(true));
        }
        for (key, on) in [
            ("disabled", s.disabled),
            ("must_change_pin", s.must_change_pin),
        ] {
            if on {
                t.insert(key.into(), Value::Boolean(true));
            } else {
                t.remove(key);
            }
        }
        out.push(Value::Table(t));
    }
    doc.insert("staff".into(), Value::Array(out));
}

fn export_devices(doc: &mut Table, roster: &Roster) {
    let old: Vec<Table> = array(doc, "devices").map(|t| t.clone()).collect();
    let mut out = Vec::new();
    for d in roster.devices.iter().filter(|d| !d.revoked) {
        let mut t = match d.source {
            Source::Config => old
                .iter()
                .find(|t| t.get("name").and_then(Value::as_str) == Some(d.origin.as_str()))
                .cloned()
                .unwrap_or_default(),
            Source::Admin => {
                let mut t = Table::new();
                t.insert("role".into(), Value::String(d.role.as_str().into()));
                t.insert("token_sha256".into(), Value::String(d.token_hash.clone()));
                if let Some(c) = d.counter {
                    t.insert("counter".into(), Value::Integer(c.0.into()));
                }
                t
            }
        };
        t.insert("name".into(), Value::String(d.name.clone()));
        out.push(Value::Table(t));
    }
    doc.insert("devices".into(), Value::Array(out));
}

/// The config file's staff and devices as the roster starts from them.
pub fn base_roster(config: &Config) -> BaseRoster {
    BaseRoster {
        staff: config
            .staff
            .iter()
            .map(|s| BaseStaff {
                id: s.id.clone(),
                name: s.name.clone(),
                supervisor: s.supervisor,
                pin_hash: s.pin_hash.clone(),
                photo: s.photo.clone(),
                disabled: s.disabled,
                must_change_pin: s.must_change_pin,
            })
            .collect(),
        devices: config
            .devices
            .iter()
            .map(|d| BaseDevice {
                name: d.name.clone(),
                role: d.role,
                counter: d.counter,
                token_hash: d.token_hash(),
            })
            .collect(),
    }
}

fn days(days: &[chrono::Weekday]) -> Value {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    Value::Array(
        days.iter()
            .map(|d| Value::String(NAMES[d.num_days_from_monday() as usize].into()))
            .collect(),
    )
}

fn table<'a>(doc: &'a mut Table, key: &str) -> &'a mut Table {
    let v = doc
        .entry(key.to_string())
        .or_insert_with(|| Value::Table(Table::new()));
    if !v.is_table() {
        *v = Value::Table(Table::new());
    }
    match v {
        Value::Table(t) => t,
        _ => unreachable!("just made a table"),
    }
}

fn array<'a>(doc: &'a mut Table, key: &str) -> impl Iterator<Item = &'a mut Table> {
    doc.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flat_map(|a| a.iter_mut())
        .filter_map(Value::as_table_mut)
}

/// `xephang config export`: reads the file and the data dir, writes the TOML to `out` (or
/// standard output).
pub fn run(
    config_path: Option<&Path>,
    data_dir: &Path,
    out: Option<&Path>,
) -> Result<(), ExportError> {
    let (text, name) = match config_path {
        Some(p) => (
            std::fs::read_to_string(p)
                .map_err(|e| ExportError::Read(p.display().to_string(), e))?,
            p.display().to_string(),
        ),
        None => (
            config::DEFAULT_TOML.to_string(),
            config::DEFAULT_NAME.to_string(),
        ),
    };
    let config = config::parse(&text, &name)?;
    let overlay = overlay_of(&config, data_dir)?;
    let toml = export(&text, &name, &overlay)?;
    match out {
        Some(p) => {
            std::fs::write(p, toml).map_err(|e| ExportError::Read(p.display().to_string(), e))
        }
        None => {
            print!("{toml}");
            Ok(())
        }
    }
}
