//! The snapshot as `src/read/snapshot.rs` rendered it before the typed per-audience views
//! (issue 13): one `json!` document, with `waiting` and `alerts` inserted for staff, and the
//! server's `now` spliced in front. Kept here as the oracle the typed snapshot is checked
//! against; tickets come from the Value-based ticket oracle (`view_golden/legacy.rs`).

use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};

use xephang::domain::spec::PriorityClass;
use xephang::read::{CentreInfo, Snapshot};
use xephang::view::Audience;

use super::legacy;

/// `Snapshot::to_json` as it was: the rendered body with `"now"` spliced in first.
pub fn to_json(
    snap: &Snapshot,
    centre: &CentreInfo,
    priorities: &[PriorityClass],
    audience: Audience,
    now: DateTime<FixedOffset>,
) -> String {
    let body = render(snap, centre, priorities, audience);
    let now = json!(now).to_string();
    format!(
        "{{\"now\":{now},{}",
        body.strip_prefix('{').unwrap_or(&body)
    )
}

fn render(
    snap: &Snapshot,
    centre: &CentreInfo,
    priorities: &[PriorityClass],
    audience: Audience,
) -> String {
    let counters: Vec<Value> = snap
        .counters()
        .iter()
        .map(|c| {
            json!({
                "id": c.id, "name": c.name, "status": c.status, "services": c.services,
                "mode": c.mode, "clerk": c.clerk,
                "current": c.current.as_ref().map(|t| legacy::ticket(t, audience)),
                "served": c.served,
            })
        })
        .collect();
    let mut v = json!({
        "seq": snap.seq(),
        "day": snap.day(),
        "centre": centre,
        "priorities": priorities,
        "services": snap.services(),
        "counters": counters,
        "recent_calls": snap.recent_calls(),
        "dossier": snap.dossier(),
    });
    if audience.is_staff() {
        if let Value::Object(m) = &mut v {
            let waiting: Vec<Value> = snap.waiting().iter().map(legacy::own_ticket).collect();
            m.insert("waiting".into(), json!(waiting));
            m.insert("alerts".into(), json!(snap.alerts()));
        }
    }
    v.to_string()
}
