//! The snapshot as each audience receives it (`GET /api/v1/state` and the first frame of a
//! screen's WebSocket): allow-list types borrowing from the [`Snapshot`](super::Snapshot),
//! like the ticket views of `src/view/`. The public gets the lobby; staff (clerks,
//! supervisors) also get the waiting list with ticket ids and the active alerts. These types
//! write the bytes and are the OpenAPI schema of `/state`, so the document cannot drift from
//! what is sent.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::{CentreInfo, ServiceSummary};
use crate::domain::event::{Alert, ClerkRef, CounterStatus, DossierStats};
use crate::domain::ids::{CounterId, ServiceId};
use crate::domain::spec::{Mode, PriorityClass};
use crate::domain::state::RecentCall;
use crate::view::{by_audience, StaffTicket, TicketView};

/// The lobby as everyone may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicSnapshot<'a> {
    /// The server's clock when it answered (screens count waits from it). Always sent: it is
    /// spliced into each answer (`Snapshot::to_json`), the rest being encoded once per seq
    /// and audience, so the cached encoding leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = DateTime<FixedOffset>, required = true)]
    pub now: Option<DateTime<FixedOffset>>,
    /// Seq of the last event it includes; a screen skips event frames up to it.
    pub seq: u64,
    pub day: NaiveDate,
    pub centre: &'a CentreInfo,
    pub priorities: &'a [PriorityClass],
    pub services: &'a [ServiceSummary],
    pub counters: Vec<CounterSnapshot<'a>>,
    /// The latest calls, newest first.
    pub recent_calls: &'a [RecentCall],
    pub dossier: Option<&'a DossierStats>,
}

/// The lobby as clerks and supervisors see it: the public snapshot, every waiting ticket
/// (with its id) in call order service by service, and the active alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffSnapshot<'a> {
    #[serde(flatten)]
    pub lobby: PublicSnapshot<'a>,
    pub waiting: Vec<StaffTicket<'a>>,
    pub alerts: &'a [Alert],
}

/// One counter in the snapshot; its current ticket as the audience sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CounterSnapshot<'a> {
    #[schema(value_type = u32)]
    pub id: CounterId,
    pub name: &'a str,
    pub status: CounterStatus,
    #[schema(value_type = Vec<String>)]
    pub services: &'a [ServiceId],
    pub mode: Mode,
    pub clerk: Option<&'a ClerkRef>,
    pub current: Option<TicketView<'a>>,
    /// Tickets it finished today.
    pub served: u32,
}

/// The snapshot as a given audience sees it. Its schema is `anyOf` (a staff snapshot also
/// satisfies the public one, which `oneOf` would reject).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SnapshotView<'a> {
    Staff(StaffSnapshot<'a>),
    Public(PublicSnapshot<'a>),
}

impl SnapshotView<'_> {
    /// The same snapshot with the server's clock in it (what `to_json`'s splice writes).
    pub fn at(mut self, now: DateTime<FixedOffset>) -> Self {
        match &mut self {
            SnapshotView::Staff(s) => s.lobby.now = Some(now),
            SnapshotView::Public(p) => p.now = Some(now),
        }
        self
    }
}

impl PartialSchema for SnapshotView<'_> {
    fn schema() -> RefOr<Schema> {
        by_audience::any_of::<StaffSnapshot, PublicSnapshot>(
            "The lobby's snapshot: `StaffSnapshot` for clerk and supervisor tokens, \
             `PublicSnapshot` for everyone else.",
        )
    }
}

impl ToSchema for SnapshotView<'_> {
    fn name() -> Cow<'static, str> {
        "Snapshot".into()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        by_audience::register::<StaffSnapshot, PublicSnapshot>(schemas);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use super::*;
    use crate::domain::event::{AlertKind, Event};
    use crate::domain::ids::StaffId;
    use crate::domain::tests::{spec, Sim};
    use crate::domain::Command;
    use crate::read::ReadModel;
    use crate::view::schema_keys::schema_keys;
    use crate::view::Audience;

    /// A lobby with every optional part of the snapshot filled: a clerk with a photo, a
    /// called and a waiting ticket, a recent call, dossier figures, an alert.
    fn busy() -> (ReadModel, CentreInfo) {
        let mut sim = Sim::new(spec());
        sim.exec(Command::Login {
            counter: CounterId(1),
            clerk: ClerkRef {
                id: StaffId("nv01".into()),
                name: "Nguyễn Văn An".into(),
                photo: Some("nv01.jpg".into()),
            },
        })
        .expect("login");
        for _ in 0..2 {
            sim.exec(Command::Issue {
                service: ServiceId::new("a"),
                priority: Some("elderly".into()),
                remote: false,
            })
            .expect("issue");
        }
        sim.exec(Command::Next {
            counter: CounterId(1),
        })
        .expect("next");
        sim.commit(vec![
            Event::DossierStats(DossierStats {
                received: 3,
                on_time: 2,
                overdue: 1,
                as_of: sim.now,
            }),
            Event::Alert(Alert {
                key: "paper".into(),
                kind: AlertKind::PrinterPaperLow,
                service: Some(ServiceId::new("a")),
                counter: Some(CounterId(1)),
                number: Some("1".into()),
                since: sim.now,
                printer: Some("kiosk-1".into()),
                device: Some("tv-1".into()),
            }),
        ]);
        let centre = CentreInfo {
            name: "Trung tâm".into(),
            name_en: "Centre".into(),
            logo: Some("logo.png".into()),
            notice: Some("Thông báo".into()),
            notice_en: Some("Notice".into()),
        };
        let spec = Arc::new(sim.spec.clone());
        let mut model = ReadModel::new(spec, Arc::new(centre.clone()), sim.now.date_naive());
        let log: Vec<_> = sim.log.iter().cloned().map(Arc::new).collect();
        model.apply(&log, sim.now);
        (model, centre)
    }

    fn keys_of(v: &serde_json::Value) -> BTreeSet<String> {
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// `/state`'s schema names exactly the keys each audience is sent, down to the counters,
    /// services, calls, alerts and the centre; staff get `waiting` and `alerts` on top.
    #[test]
    fn the_snapshot_schemas_name_exactly_the_keys_sent() {
        let (model, centre) = busy();
        let now = model.snapshot().dossier().expect("dossier").as_of;
        let priorities = &model.spec().priorities;
        let view = |a| model.snapshot().view(&centre, priorities, a).at(now);
        let public = serde_json::to_value(view(Audience::Public)).expect("json");
        let staff = serde_json::to_value(view(Audience::Staff)).expect("json");
        assert_eq!(keys_of(&public), schema_keys::<PublicSnapshot>());
        assert_eq!(keys_of(&staff), schema_keys::<StaffSnapshot>());
        let extra: BTreeSet<_> = keys_of(&staff)
            .difference(&keys_of(&public))
            .cloned()
            .collect();
        assert_eq!(extra, ["alerts", "waiting"].map(String::from).into());
        assert_eq!(
            schema_keys::<SnapshotView>(),
            keys_of(&staff),
            "anyOf: the union"
        );
        let counter = &staff["counters"][0];
        assert!(counter["clerk"]["photo"].is_string() && counter["current"].is_object());
        assert_eq!(keys_of(counter), schema_keys::<CounterSnapshot>());
        assert_eq!(keys_of(&counter["clerk"]), schema_keys::<ClerkRef>());
        assert_eq!(keys_of(&staff["centre"]), schema_keys::<CentreInfo>());
        assert_eq!(
            keys_of(&staff["recent_calls"][0]),
            schema_keys::<RecentCall>()
        );
        assert_eq!(keys_of(&staff["dossier"]), schema_keys::<DossierStats>());
        assert_eq!(keys_of(&staff["alerts"][0]), schema_keys::<Alert>());
        assert_eq!(
            keys_of(&staff["priorities"][0]),
            schema_keys::<PriorityClass>()
        );
        // Tickets: every key documented (api/views.rs holds them to all their keys).
        assert!(keys_of(&staff["waiting"][0]).is_subset(&schema_keys::<StaffTicket>()));
        // A service sends `reopens_at` only while closed for a break and
        // `appointment_days_ahead` only if it takes appointments (the test centre's do not).
        let mut service = schema_keys::<ServiceSummary>();
        service.remove("reopens_at");
        service.remove("appointment_days_ahead");
        assert_eq!(keys_of(&public["services"][0]), service);
    }
}
