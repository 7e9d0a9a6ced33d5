//! `hub.toml`: the province hub's config (HUB.md, "Contract"). The hub holds the uplink
//! token of each centre and the tokens of its own devices (province dashboard, displays),
//! nothing of a lobby's devices or staff.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use chrono_tz::Tz;
use serde::Deserialize;

/// The demo hub built into the binary, used when no `--config` is given.
pub const DEMO_TOML: &str = include_str!("../../config/hub-demo.toml");
/// The environment variable that overrides `database_url`.
pub const DATABASE_ENV: &str = "XEPHANG_DATABASE_URL";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    hub: RawHub,
    #[serde(default)]
    centres: Vec<RawCentre>,
    #[serde(default)]
    devices: Vec<RawDevice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHub {
    name: String,
    #[serde(default)]
    name_en: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    database_url: Option<String>,
    /// A centre silent this long during its opening hours is an alert (default 5).
    #[serde(default)]
    silent_alert_min: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCentre {
    id: String,
    name: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: String,
    role: String,
    token: String,
}

/// What a hub device token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubRole {
    /// The province dashboard, stats and reports.
    Province,
    /// A public screen (no more than the public, but named).
    Display,
}

#[derive(Clone)]
pub struct CentreEntry {
    pub id: String,
    pub name: String,
    pub token: String,
}

#[derive(Clone)]
pub struct HubDevice {
    pub name: String,
    pub role: HubRole,
    pub token: String,
}

#[derive(Clone)]
pub struct HubConfig {
    pub name: String,
    pub name_en: String,
    pub timezone: Tz,
    pub database_url: String,
    pub silent_alert_s: i64,
    pub centres: Vec<CentreEntry>,
    pub devices: Vec<HubDevice>,
}

impl fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubConfig")
            .field("name", &self.name)
            .field(
                "centres",
                &self.centres.iter().map(|c| &c.id).collect::<Vec<_>>(),
            )
            .field("devices", &self.devices.len())
            .finish()
    }
}

impl HubConfig {
    pub fn centre(&self, id: &str) -> Option<&CentreEntry> {
        self.centres.iter().find(|c| c.id == id)
    }

    /// The centre whose uplink token this is (compared in constant time).
    pub fn centre_by_token(&self, token: &str) -> Option<&CentreEntry> {
        self.centres.iter().find(|c| same(&c.token, token))
    }

    pub fn device_by_token(&self, token: &str) -> Option<&HubDevice> {
        self.devices.iter().find(|d| same(&d.token, token))
    }
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Every problem of a hub config, one per line (`file: field: problem`).
#[derive(Debug)]
pub struct HubConfigError(pub Vec<String>);

impl fmt::Display for HubConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for HubConfigError {}

/// Reads and checks a hub config; `None` = the embedded demo.
pub fn load(path: Option<&Path>) -> Result<HubConfig, HubConfigError> {
    match path {
        None => parse(DEMO_TOML, "config/hub-demo.toml (embedded)"),
        Some(p) => {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(p)
                .map_err(|e| HubConfigError(vec![format!("{name}: cannot read: {e}")]))?;
            parse(&text, &name)
        }
    }
}

pub fn parse(text: &str, file: &str) -> Result<HubConfig, HubConfigError> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let at = line.map_or(String::new(), |l| format!(":{l}"));
        HubConfigError(vec![format!("{file}{at}: {}", e.message())])
    })?;
    let mut problems = Vec::new();
    let mut p = |field: String, msg: String| problems.push(format!("{file}: {field}: {msg}"));
    let timezone = match &raw.hub.timezone {
        None => Tz::Asia__Ho_Chi_Minh,
        Some(t) => t.parse().unwrap_or_else(|_| {
            p("hub.timezone".into(), format!("unknown timezone \"{t}\""));
            Tz::Asia__Ho_Chi_Minh
        }),
    };
    let mut tokens = HashSet::new();
    let mut token_ok = |field: String, t: &str, p: &mut dyn FnMut(String, String)| {
        if t.chars().count() < 16 {
            p(field, "too short; use at least 16 characters".into());
        } else if !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
        {
            p(field, "use only letters A-Z a-z, digits and - _ . ~".into());
        } else if !tokens.insert(t.to_string()) {
            p(
                field,
                "the same token is used twice; tokens must differ".into(),
            );
        }
    };
    let mut ids = HashSet::new();
    for (i, c) in raw.centres.iter().enumerate() {
        let ok = !c.id.is_empty()
            && c.id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
        if !ok {
            p(
                format!("centres[{i}].id"),
                format!("\"{}\" may only contain a-z, 0-9 and -", c.id),
            );
        } else if !ids.insert(c.id.clone()) {
            p(
                format!("centres[{i}].id"),
                format!("\"{}\" is listed twice", c.id),
            );
        }
        token_ok(format!("centres[{i}].token"), &c.token, &mut p);
    }
    let mut devices = Vec::new();
    for (i, d) in raw.devices.iter().enumerate() {
        let role = match d.role.as_str() {
            "province" => HubRole::Province,
            "display" => HubRole::Display,
            other => {
                p(
                    format!("devices[{i}].role"),
                    format!("\"{other}\": use province or display"),
                );
                HubRole::Display
            }
        };
        token_ok(format!("devices[{i}].token"), &d.token, &mut p);
        devices.push(HubDevice {
            name: d.name.clone(),
            role,
            token: d.token.clone(),
        });
    }
    let database_url = std::env::var(DATABASE_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or(raw.hub.database_url.clone());
    let Some(database_url) = database_url else {
        p(
            "hub.database_url".into(),
            format!("required (or set {DATABASE_ENV})"),
        );
        return Err(HubConfigError(problems));
    };
    if !problems.is_empty() {
        return Err(HubConfigError(problems));
    }
    Ok(HubConfig {
        name_en: raw.hub.name_en.unwrap_or_else(|| raw.hub.name.clone()),
        name: raw.hub.name,
        timezone,
        database_url,
        silent_alert_s: i64::from(raw.hub.silent_alert_min.unwrap_or(5).max(1)) * 60,
        centres: raw
            .centres
            .into_iter()
            .map(|c| CentreEntry {
                id: c.id,
                name: c.name,
                token: c.token,
            })
            .collect(),
        devices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_parses() {
        let c = parse(DEMO_TOML, "demo").expect("demo config");
        assert_eq!(c.centres.len(), 2);
        assert!(c.centre_by_token("demo-uplink-xa-demo-0002").is_some());
        assert!(c.centre_by_token("demo-uplink-xa-demo-0003").is_none());
    }

    #[test]
    fn problems_are_listed() {
        let text = "[hub]\nname = \"x\"\ndatabase_url = \"postgres://x\"\n[[centres]]\nid = \"Bad Id\"\nname = \"a\"\ntoken = \"short\"\n[[devices]]\nname = \"d\"\nrole = \"boss\"\ntoken = \"0123456789abcdef\"\n";
        let e = parse(text, "hub.toml").expect_err("refused").to_string();
        assert!(e.contains("centres[0].id"), "{e}");
        assert!(e.contains("centres[0].token"), "{e}");
        assert!(e.contains("devices[0].role"), "{e}");
    }
}
