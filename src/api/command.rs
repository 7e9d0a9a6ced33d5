//! What every route that changes the centre shares: running a command as a principal
//! ([`run`]), the ticket its events carry as its holder sees it ([`ticket_of`]), who may use a
//! counter for what ([`counter_for`]), and the audience a principal reads as. One place, so
//! that route files depend on this module and never on one another.

use std::sync::Arc;

use axum::http::StatusCode;

use super::app::AppState;
use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::links::Links;
use super::views::{OwnTicket, OwnedStaffTicket};
use crate::domain::ids::{CounterId, TicketId};
use crate::domain::{Command, DomainError, Envelope};
use crate::engine::{Actor, EngineError};
use crate::view::Audience;

/// Runs a command for a principal and returns its committed events.
pub async fn run(app: &AppState, who: &Principal, cmd: Command) -> ApiResult<Vec<Arc<Envelope>>> {
    Ok(execute(app, who, cmd).await?)
}

/// [`run`] with the engine's own error, for a caller that must tell refusals apart by their
/// type (never by their API code string).
pub async fn execute(app: &AppState, who: &Principal, cmd: Command) -> crate::engine::Outcome {
    let out = app.engine.execute(cmd, Actor(who.label())).await;
    if let Err(EngineError::Unavailable(_)) = &out {
        app.metrics
            .http_refused_unavailable
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    out
}

/// The ticket of the last event that carries one, as its holder sees it, with its current
/// place in line from the read side.
pub fn own_ticket_of(
    app: &AppState,
    events: &[Arc<Envelope>],
) -> Option<(TicketId, OwnedStaffTicket)> {
    let t = events.iter().rev().find_map(|e| e.event.ticket())?;
    let model = app.read.current();
    let view = OwnedStaffTicket::new(model.ticket(&t.id).unwrap_or(t));
    Some((t.id, view))
}

/// [`own_ticket_of`] with its `url` (what a citizen's answer carries).
pub fn ticket_of(app: &AppState, links: &Links, events: &[Arc<Envelope>]) -> Option<OwnTicket> {
    own_ticket_of(app, events).map(|(id, v)| with_url(v, links, &id))
}

/// A ticket's view with `url`, the address its QR code encodes.
pub fn with_url(ticket: OwnedStaffTicket, links: &Links, id: &TicketId) -> OwnTicket {
    OwnTicket {
        ticket,
        url: links.ticket(id),
        rated: None,
        print: None,
    }
}

/// A ticket id from a path; anything that does not parse is 404 `not_found`.
pub fn parse_ticket_id(id: &str) -> ApiResult<TicketId> {
    id.parse().map_err(|_| ApiError::not_found())
}

/// What a principal may see: supervisors everything, clerks no personal data, the rest the
/// public view.
pub fn audience(who: &Principal) -> Audience {
    if who.is_supervisor() {
        Audience::Supervisor
    } else if who.is_staff() {
        Audience::Staff
    } else {
        Audience::Public
    }
}

/// What a request wants to do with a counter.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CounterUse {
    /// Next, recall, finish… : the supervisor, or the clerk on duty at that counter. An
    /// unknown counter is 404 before anything else.
    Operate,
    /// Read its waiting list: the supervisor or the counter's clerk.
    See,
    /// What its rating tablet rates: the tablet itself, the counter's clerk or the supervisor.
    Rate,
}

/// May `who` use counter `n` for `what`? The one check of every counter route.
pub fn counter_for(
    app: &AppState,
    who: &Principal,
    n: u32,
    what: CounterUse,
) -> ApiResult<CounterId> {
    let counter = CounterId(n);
    let known = app.spec().counter(counter).is_some();
    if what == CounterUse::Operate && !known {
        return Err(DomainError::UnknownCounter(n).into());
    }
    let allowed = match who {
        Principal::Supervisor { .. } => true,
        Principal::Clerk { counter: own, .. } => *own == counter,
        Principal::Rating(c) => what == CounterUse::Rate && *c == counter,
        _ => false,
    };
    if !allowed {
        return Err(who.refusal());
    }
    if !known {
        return Err(DomainError::UnknownCounter(n).into());
    }
    if let (CounterUse::Operate, Principal::Clerk { staff, .. }) = (what, who) {
        let model = app.read.current();
        let on_duty = model.clerk_at(counter).is_some_and(|c| &c.id == staff);
        if !on_duty {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Phiên làm việc đã kết thúc (một cán bộ khác đã đăng nhập quầy này); hãy đăng nhập lại.",
                "Your session has ended (another clerk logged in at this counter); log in again.",
            ));
        }
    }
    Ok(counter)
}

/// `cmd` as `who` sends it: a clerk's counter command carries the clerk's staff id, so the
/// writer refuses it (409 `not_on_duty`) when another clerk has taken the counter between
/// [`counter_for`] (which reads the read model) and the decision.
pub fn acting(who: &Principal, cmd: Command) -> Command {
    match who {
        Principal::Clerk { staff, .. } => Command::AsClerk {
            staff: staff.clone(),
            command: Box::new(cmd),
        },
        _ => cmd,
    }
}
