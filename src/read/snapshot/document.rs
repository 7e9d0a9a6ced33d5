//! The snapshot as each audience receives it (`GET /api/v1/state` and the first frame of a
//! screen's WebSocket): allow-list types borrowing from the [`Snapshot`](super::Snapshot),
//! like the ticket views of `src/view/`. The public gets the lobby; staff (clerks,
//! supervisors) also get the waiting list with ticket ids and the active alerts. These types
//! write the bytes and are the OpenAPI schema of `/state`, so the document cannot drift from
//! what is sent.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::{CentreInfo, ServiceSummary};
use crate::domain::event::{Alert, ClerkRef, CounterStatus, DossierStats};
use crate::domain::ids::{CounterId, ServiceId};
use crate::domain::spec::{Mode, PriorityClass};
use crate::domain::state::RecentCall;
use crate::view::{StaffTicket, TicketView};

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
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(StaffSnapshot::name()))
            .item(Ref::from_schema_name(PublicSnapshot::name()))
            .description(Some(
                "The lobby's snapshot: `StaffSnapshot` for clerk and supervisor tokens, \
                 `PublicSnapshot` for everyone else.",
            ))
            .into()
    }
}

impl ToSchema for SnapshotView<'_> {
    fn name() -> Cow<'static, str> {
        "Snapshot".into()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, schema) in [
            (StaffSnapshot::name(), StaffSnapshot::schema()),
            (PublicSnapshot::name(), PublicSnapshot::schema()),
        ] {
            schemas.push((name.into_owned(), schema));
        }
        StaffSnapshot::schemas(schemas);
        PublicSnapshot::schemas(schemas);
    }
}
