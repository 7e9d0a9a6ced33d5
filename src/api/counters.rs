//! Counter routes: next / recall / no-show / finish / transfer / pause at a counter (its clerk
//! on duty, or the supervisor), the counter's waiting list in call order, today's no-shows to
//! put back in the queue, and what the rating tablet of a counter rates.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::command::{acting, counter_for, own_ticket_of, run, CounterUse};
use super::error::{ApiJson, ApiResult, ErrorBody};
use super::views::OwnedStaffTicket;
use crate::domain::event::{ClerkRef, CounterStatus, Event};
use crate::domain::ids::{CounterId, ServiceId};
use crate::domain::next_up::counter_order;
use crate::domain::spec::Mode;
use crate::domain::ticket::Status;
use crate::domain::{Command, DomainError};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(next))
        .routes(routes!(recall))
        .routes(routes!(no_show))
        .routes(routes!(finish))
        .routes(routes!(transfer))
        .routes(routes!(status))
        .routes(routes!(rating_target))
        .routes(routes!(queue))
        .routes(routes!(no_shows))
}

/// The answer of `next`: the ticket finished and the one called.
#[derive(Serialize, ToSchema)]
pub struct NextAnswer {
    /// The ticket that was at the counter, now finished.
    pub finished: Option<OwnedStaffTicket>,
    /// The ticket called; null when nobody waits.
    pub ticket: Option<OwnedStaffTicket>,
}

/// The ticket a counter command acted on.
#[derive(Serialize, ToSchema)]
pub struct TicketAnswer {
    pub ticket: Option<OwnedStaffTicket>,
}

#[utoipa::path(
    post,
    path = "/counters/{n}/next",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = NextAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = ErrorBody),
    ),
)]
pub async fn next(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<NextAnswer>> {
    let counter = counter_for(&app, &who, n, CounterUse::Operate)?;
    let events = run(&app, &who, acting(&who, Command::Next { counter })).await?;
    let mut answer = NextAnswer {
        finished: None,
        ticket: None,
    };
    for e in &events {
        match &e.event {
            Event::TicketFinished { ticket, .. } => {
                answer.finished = Some(OwnedStaffTicket::new(ticket));
            }
            Event::TicketCalled { ticket, .. } => {
                answer.ticket = Some(OwnedStaffTicket::new(ticket));
            }
            _ => {}
        }
    }
    Ok(Json(answer))
}

/// Runs a counter command and answers the ticket it acted on.
async fn act(app: &AppState, who: &Principal, cmd: Command) -> ApiResult<Json<TicketAnswer>> {
    let events = run(app, who, acting(who, cmd)).await?;
    let ticket = own_ticket_of(app, &events).map(|(_, v)| v);
    Ok(Json(TicketAnswer { ticket }))
}

#[utoipa::path(
    post,
    path = "/counters/{n}/recall",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = TicketAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = ErrorBody),
    ),
)]
pub async fn recall(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<TicketAnswer>> {
    let counter = counter_for(&app, &who, n, CounterUse::Operate)?;
    act(&app, &who, Command::Recall { counter }).await
}

#[utoipa::path(
    post,
    path = "/counters/{n}/no-show",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = TicketAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = ErrorBody),
    ),
)]
pub async fn no_show(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<TicketAnswer>> {
    let counter = counter_for(&app, &who, n, CounterUse::Operate)?;
    act(&app, &who, Command::NoShow { counter }).await
}

#[utoipa::path(
    post,
    path = "/counters/{n}/finish",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = TicketAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = ErrorBody),
    ),
)]
pub async fn finish(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<TicketAnswer>> {
    let counter = counter_for(&app, &who, n, CounterUse::Operate)?;
    act(&app, &who, Command::Finish { counter }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    #[schema(example = "chungthuc")]
    service: String,
}

#[utoipa::path(
    post,
    path = "/counters/{n}/transfer",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    request_body = TransferBody,
    responses(
        (status = 200, body = TicketAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = ErrorBody),
    ),
)]
pub async fn transfer(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
    ApiJson(body): ApiJson<TransferBody>,
) -> ApiResult<Json<TicketAnswer>> {
    let counter = counter_for(&app, &who, n, CounterUse::Operate)?;
    let cmd = Command::Transfer {
        counter,
        service: ServiceId(body.service),
    };
    act(&app, &who, cmd).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: CounterStatus,
}

#[utoipa::path(
    post,
    path = "/counters/{n}/status",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    request_body = StatusBody,
    responses(
        (status = 200, body = CounterAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = ErrorBody),
    ),
)]
pub async fn status(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Json<Option<CounterAnswer>>> {
    let counter = counter_for(&app, &who, n, CounterUse::Operate)?;
    let cmd = Command::SetStatus {
        counter,
        status: body.status,
    };
    run(&app, &who, acting(&who, cmd)).await?;
    Ok(Json(counter_view(&app, counter)))
}

/// A counter as the snapshot shows it (the answer of `status`).
#[derive(Serialize, ToSchema)]
pub struct CounterAnswer {
    #[schema(value_type = u32)]
    pub id: CounterId,
    pub name: String,
    pub status: CounterStatus,
    #[schema(value_type = Vec<String>)]
    pub services: Vec<ServiceId>,
    pub mode: Mode,
    pub clerk: Option<ClerkRef>,
    /// Its current ticket as staff see it (only staff change a counter's status).
    pub current: Option<OwnedStaffTicket>,
    pub served: u32,
}

/// Counter `counter` as the snapshot shows it to staff.
fn counter_view(app: &AppState, counter: CounterId) -> Option<CounterAnswer> {
    let model = app.read.current();
    let c = model.snapshot().counter(counter)?;
    Some(CounterAnswer {
        id: c.id,
        name: c.name.clone(),
        status: c.status,
        services: c.services.clone(),
        mode: c.mode,
        clerk: c.clerk.clone(),
        current: c.current.as_ref().map(OwnedStaffTicket::new),
        served: c.served,
    })
}

/// The ticket last served at a counter, as its rating tablet shows it.
#[derive(Serialize, ToSchema)]
pub struct LastServed {
    pub number: String,
    #[schema(value_type = String)]
    pub service: ServiceId,
    pub finished_at: Option<DateTime<FixedOffset>>,
    #[schema(value_type = Option<String>)]
    pub clerk: Option<crate::domain::ids::StaffId>,
    pub rated: bool,
}

/// What the rating tablet of a counter rates.
#[derive(Serialize, ToSchema)]
pub struct RatingTarget {
    #[schema(value_type = u32)]
    pub counter: CounterId,
    pub clerk: Option<ClerkRef>,
    pub ticket: Option<LastServed>,
}

/// What the rating tablet of counter `n` rates: the ticket last served there.
#[utoipa::path(
    get,
    path = "/counters/{n}/rating-target",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = RatingTarget),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
    ),
)]
pub async fn rating_target(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<RatingTarget>> {
    let counter = counter_for(&app, &who, n, CounterUse::Rate)?;
    let model = app.read.current();
    let c = model
        .snapshot()
        .counter(counter)
        .ok_or(DomainError::UnknownCounter(n))?;
    let ticket = c.last_served.and_then(|id| model.ticket(&id));
    Ok(Json(RatingTarget {
        counter,
        clerk: c.clerk.clone(),
        ticket: ticket.map(|t| LastServed {
            number: t.number.clone(),
            service: t.service.clone(),
            finished_at: t.finished_at,
            clerk: t.clerk.clone(),
            rated: model.rating(&t.id).is_some(),
        }),
    }))
}

/// A counter's waiting list, in call order.
#[derive(Serialize, ToSchema)]
pub struct CounterQueue {
    pub counter: u32,
    pub tickets: Vec<OwnedStaffTicket>,
}

/// The tickets waiting for counter `n`, in the order "next" will call them.
#[utoipa::path(
    get,
    path = "/counters/{n}/queue",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = CounterQueue),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
    ),
)]
pub async fn queue(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<CounterQueue>> {
    let counter = counter_for(&app, &who, n, CounterUse::See)?;
    let model = app.read.current();
    let now = app.now();
    let tickets = counter_order(&app.spec(), model.lobby(), counter, now)
        .into_iter()
        .map(|t| {
            // The line's own copy carries the place and estimate.
            let placed = model.ticket(&t.id).unwrap_or(t);
            OwnedStaffTicket::new(placed)
        })
        .collect();
    Ok(Json(CounterQueue {
        counter: counter.0,
        tickets,
    }))
}

/// Tickets, latest first.
#[derive(Serialize, ToSchema)]
pub struct TicketList {
    pub tickets: Vec<OwnedStaffTicket>,
}

/// The services `who` may see no-shows of: a clerk's own counter's, or every service for a
/// supervisor.
fn services_of(app: &AppState, who: &Principal) -> ApiResult<Option<Vec<ServiceId>>> {
    match who {
        Principal::Supervisor { .. } => Ok(None),
        Principal::Clerk { counter, .. } => Ok(Some(
            app.spec()
                .counter(*counter)
                .map(|c| c.services.clone())
                .unwrap_or_default(),
        )),
        other => Err(other.refusal()),
    }
}

/// Today's no-shows (latest first) of the caller's services, each with its id so that the
/// clerk or the supervisor can put it back in the queue.
#[utoipa::path(
    get,
    path = "/no-shows",
    tag = "counters",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Today's no-shows, latest first", body = TicketList),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a clerk or supervisor", body = ErrorBody),
    ),
)]
pub async fn no_shows(State(app): State<AppState>, who: Principal) -> ApiResult<Json<TicketList>> {
    let services = services_of(&app, &who)?;
    let model = app.read.current();
    let mut list: Vec<_> = model
        .tickets()
        .filter(|t| t.status == Status::NoShow)
        .filter(|t| services.as_ref().is_none_or(|s| s.contains(&t.service)))
        .collect();
    list.sort_by_key(|t| std::cmp::Reverse(t.finished_at.or(t.called_at)));
    let tickets = list.into_iter().map(OwnedStaffTicket::new).collect();
    Ok(Json(TicketList { tickets }))
}
