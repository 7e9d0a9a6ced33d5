//! Commands and the decision function: given the state, a command and the moment, which
//! events follow — or why none may. Pure: time, fresh ids and the announcement playlist are
//! passed in by the engine. The decisions about appointments and phones' tickets are in
//! `decide/appointments.rs`.

use chrono::{DateTime, Datelike, FixedOffset};

use super::admin::{Actor, AdminChange};
use super::admin_roster::{BaseRoster, Roster};
use super::error::{DomainError, Names, Reason};
use super::event::{ClerkRef, ClientTag, CounterStatus, DossierStats, Event, Rating, RatingSource};
use super::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use super::personal::clean_phone;
use super::select::{eta_s, pick_next};
use super::spec::CentreSpec;
use super::state::{value_of, State};
use super::ticket::{format_number, Status, Ticket};

/// Bookings, check-ins and tickets taken from phones.
mod appointments;

/// Longest rating comment accepted, in characters.
pub const MAX_COMMENT: usize = 500;

/// A request to change the state. Authentication and authorisation happened before.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Issue {
        service: ServiceId,
        priority: Option<String>,
        remote: bool,
    },
    /// A ticket taken from a phone, capped at `per_client` a day for the phone `client`.
    /// The cap is decided here, atomically with the issue: when the phone has reached it,
    /// the decision is **no event** (and the caller answers 429), every other refusal is an
    /// error as for [`Command::Issue`].
    IssueRemote {
        service: ServiceId,
        client: ClientTag,
        per_client: u32,
    },
    CheckIn {
        code: BookingCode,
    },
    Next {
        counter: CounterId,
    },
    Recall {
        counter: CounterId,
    },
    NoShow {
        counter: CounterId,
    },
    Finish {
        counter: CounterId,
    },
    Transfer {
        counter: CounterId,
        service: ServiceId,
    },
    SetStatus {
        counter: CounterId,
        status: CounterStatus,
    },
    Login {
        counter: CounterId,
        clerk: ClerkRef,
    },
    Logout {
        counter: CounterId,
        staff: StaffId,
    },
    Cancel {
        ticket: TicketId,
    },
    Requeue {
        ticket: TicketId,
    },
    Rate {
        /// The ticket; None = the last ticket served at `counter`.
        ticket: Option<TicketId>,
        /// The rating tablet's counter, when a tablet rates.
        counter: Option<CounterId>,
        score: u8,
        comment: Option<String>,
        source: RatingSource,
        /// A phone number to be called back about the visit (phone page; optional).
        phone: Option<String>,
    },
    Dossier {
        received: u32,
        on_time: u32,
        overdue: u32,
        as_of: DateTime<FixedOffset>,
    },
    Book {
        service: ServiceId,
        start: DateTime<FixedOffset>,
        name: Option<String>,
        phone: Option<String>,
    },
    CancelBooking {
        code: BookingCode,
    },
    /// A counter command (next, recall, no-show, finish, transfer, status) sent from a
    /// clerk's session, carrying the acting staff id: decided only while `staff` is still the
    /// clerk on duty at that counter, else [`DomainError::NotOnDuty`]. A click racing another
    /// clerk's login at the counter thus never runs as the new clerk. Supervisors' commands
    /// come unwrapped.
    AsClerk {
        staff: StaffId,
        command: Box<Command>,
    },
    /// A change made on the admin page (or a clerk's own new PIN), checked against the
    /// effective spec, the day and the roster (`base`: the config file's staff and devices).
    Admin {
        change: Box<AdminChange>,
        by: Actor,
        base: std::sync::Arc<BaseRoster>,
    },
}

impl Command {
    /// The counter a counter command acts on.
    pub fn counter(&self) -> Option<CounterId> {
        match self {
            Command::Next { counter }
            | Command::Recall { counter }
            | Command::NoShow { counter }
            | Command::Finish { counter }
            | Command::Transfer { counter, .. }
            | Command::SetStatus { counter, .. } => Some(*counter),
            _ => None,
        }
    }
}

/// What the engine supplies to a decision besides state and command.
pub struct Ctx<'a> {
    pub now: DateTime<FixedOffset>,
    /// Id for a ticket this command may create.
    pub new_id: TicketId,
    /// Code for a booking this command may create.
    pub new_code: BookingCode,
    /// The audio playlist of a call: (printed number, counter) → clip URLs.
    pub announce: &'a dyn Fn(&str, CounterId) -> Vec<String>,
}

pub type Decision = Result<Vec<Event>, DomainError>;

/// Decides the events that follow `cmd` in `state` at `ctx.now`.
pub fn decide(spec: &CentreSpec, state: &State, cmd: &Command, ctx: &Ctx) -> Decision {
    match cmd {
        Command::Admin { change, by, base } => {
            let roster = Roster::of(base, &state.overlay);
            super::admin_check::check(change, spec, state, &roster, ctx.now)?;
            Ok(vec![Event::ConfigChanged {
                change: (**change).clone(),
                by: by.clone(),
            }])
        }
        Command::Issue {
            service,
            priority,
            remote,
        } => issue(spec, state, service, priority.as_deref(), *remote, ctx),
        Command::IssueRemote {
            service,
            client,
            per_client,
        } => appointments::issue_remote(spec, state, service, client, *per_client, ctx),
        Command::CheckIn { code } => appointments::check_in(spec, state, code, ctx),
        Command::Next { counter } => next(spec, state, *counter, ctx),
        Command::Recall { counter } => {
            let mut t = current(spec, state, *counter)?;
            t.recalls += 1;
            let audio = (ctx.announce)(&t.number, *counter);
            Ok(vec![Event::TicketRecalled {
                ticket: t,
                counter: *counter,
                audio,
            }])
        }
        Command::NoShow { counter } => {
            let mut t = current(spec, state, *counter)?;
            t.status = Status::NoShow;
            t.finished_at = Some(ctx.now);
            Ok(vec![Event::TicketNoShow {
                ticket: t,
                counter: *counter,
            }])
        }
        Command::Finish { counter } => {
            let t = current(spec, state, *counter)?;
            Ok(vec![finish(t, *counter, ctx.now)])
        }
        Command::Transfer { counter, service } => {
            let mut t = current(spec, state, *counter)?;
            spec.service(service)
                .ok_or_else(|| DomainError::UnknownService(service.0.clone()))?;
            if &t.service == service {
                return Err(DomainError::InvalidState(Reason::SameService));
            }
            let from = std::mem::replace(&mut t.service, service.clone());
            t.status = Status::Waiting;
            t.counter = None;
            Ok(vec![Event::TicketTransferred {
                ticket: with_position(spec, state, t, ctx.now),
                from_service: from,
                counter: Some(*counter),
            }])
        }
        Command::SetStatus { counter, status } => {
            known_counter(spec, *counter)?;
            Ok(vec![Event::CounterStatus {
                counter: *counter,
                status: *status,
            }])
        }
        Command::Login { counter, clerk } => login(spec, state, *counter, clerk),
        Command::Logout { counter, staff } => {
            known_counter(spec, *counter)?;
            let here = state.counters.get(counter).and_then(|c| c.clerk.as_ref());
            if here.map(|c| &c.id) != Some(staff) {
                return Err(DomainError::InvalidState(Reason::NotYourCounter));
            }
            Ok(vec![
                Event::ClerkLogin {
                    counter: *counter,
                    clerk: None,
                },
                Event::CounterStatus {
                    counter: *counter,
                    status: CounterStatus::Closed,
                },
            ])
        }
        Command::Cancel { ticket } => {
            let mut t = state
                .ticket(ticket)
                .cloned()
                .ok_or(DomainError::TicketNotFound)?;
            if !matches!(t.status, Status::Waiting | Status::NoShow) {
                return Err(DomainError::InvalidState(Reason::NotWaiting));
            }
            t.status = Status::Cancelled;
            t.finished_at = Some(ctx.now);
            Ok(vec![Event::TicketCancelled { ticket: t }])
        }
        Command::Requeue { ticket } => {
            let mut t = state
                .ticket(ticket)
                .cloned()
                .ok_or(DomainError::TicketNotFound)?;
            if t.status != Status::NoShow {
                return Err(DomainError::InvalidState(Reason::NotNoShow));
            }
            t.status = Status::Waiting;
            t.counter = None;
            t.finished_at = None;
            Ok(vec![Event::TicketRequeued {
                ticket: with_position(spec, state, t, ctx.now),
            }])
        }
        Command::Rate {
            ticket,
            counter,
            score,
            comment,
            source,
            phone,
        } => rate(state, *ticket, *counter, *score, comment, *source, phone),
        Command::Dossier {
            received,
            on_time,
            overdue,
            as_of,
        } => Ok(vec![Event::DossierStats(DossierStats {
            received: *received,
            on_time: *on_time,
            overdue: *overdue,
            as_of: *as_of,
        })]),
        Command::Book {
            service,
            start,
            name,
            phone,
        } => appointments::book(spec, state, service, *start, name, phone, ctx),
        Command::CancelBooking { code } => appointments::cancel_booking(state, code),
        Command::AsClerk { staff, command } => {
            let counter = command
                .counter()
                .ok_or(DomainError::InvalidState(Reason::NotYourCounter))?;
            known_counter(spec, counter)?;
            let on_duty = state
                .counters
                .get(&counter)
                .and_then(|c| c.clerk.as_ref())
                .is_some_and(|c| &c.id == staff);
            if !on_duty {
                return Err(DomainError::NotOnDuty(counter.0));
            }
            decide(spec, state, command, ctx)
        }
    }
}

fn known_counter(spec: &CentreSpec, counter: CounterId) -> Result<(), DomainError> {
    spec.counter(counter)
        .map(|_| ())
        .ok_or(DomainError::UnknownCounter(counter.0))
}

/// The ticket called at a counter, or `no_current_ticket`.
fn current(spec: &CentreSpec, state: &State, counter: CounterId) -> Result<Ticket, DomainError> {
    known_counter(spec, counter)?;
    state
        .current(counter)
        .filter(|t| t.status == Status::Called)
        .cloned()
        .ok_or(DomainError::NoCurrentTicket)
}

fn finish(mut t: Ticket, counter: CounterId, now: DateTime<FixedOffset>) -> Event {
    t.status = Status::Done;
    t.finished_at = Some(now);
    Event::TicketFinished { ticket: t, counter }
}

/// A waiting ticket with its place and estimate as of the state before it joins the line.
fn with_position(
    spec: &CentreSpec,
    state: &State,
    mut t: Ticket,
    now: DateTime<FixedOffset>,
) -> Ticket {
    // Who is ahead is a count, independent of order: no need to sort the line.
    let key = (super::select::class_of(&t, now), t.queue_key());
    let ahead = state
        .waiting_in(&t.service)
        .filter(|o| o.id != t.id && (super::select::class_of(o, now), o.queue_key()) < key)
        .count();
    t.waiting_ahead = Some(ahead as u32);
    t.eta_s = Some(eta_s(spec, state, &t.service, ahead));
    t
}

fn issue(
    spec: &CentreSpec,
    state: &State,
    service: &ServiceId,
    priority: Option<&str>,
    remote: bool,
    ctx: &Ctx,
) -> Decision {
    let s = spec
        .service(service)
        .ok_or_else(|| DomainError::UnknownService(service.0.clone()))?;
    if let Some(p) = priority {
        spec.priority(p)
            .ok_or_else(|| DomainError::UnknownPriority(p.to_string()))?;
    }
    if s.appointments.as_ref().is_some_and(|a| a.appointment_only) {
        return Err(DomainError::AppointmentOnly(Names::of(s)));
    }
    if remote && !s.remote {
        return Err(DomainError::NotRemote(Names::of(s)));
    }
    if remote && state.remote_issued.get(service).copied().unwrap_or(0) >= s.remote_cap {
        return Err(DomainError::RemoteCapReached(Names::of(s)));
    }
    if !s.hours.is_open(ctx.now.weekday(), ctx.now.time()) {
        return Err(DomainError::ServiceClosed(Names::of(s)));
    }
    let t = new_ticket(
        spec,
        state,
        service,
        priority.map(str::to_string),
        None,
        ctx,
    )?;
    let mut t = with_position(spec, state, t, ctx.now);
    t.remote = remote;
    Ok(vec![Event::TicketIssued {
        ticket: t,
        booking: None,
        client: None,
    }])
}

/// A fresh waiting ticket with the service's next free number.
fn new_ticket(
    spec: &CentreSpec,
    state: &State,
    service: &ServiceId,
    priority: Option<String>,
    slot_start: Option<DateTime<FixedOffset>>,
    ctx: &Ctx,
) -> Result<Ticket, DomainError> {
    let s = spec
        .service(service)
        .ok_or_else(|| DomainError::UnknownService(service.0.clone()))?;
    let start = state.next_value.get(service).copied().unwrap_or(s.first);
    let size = u64::from(s.last - s.first) + 1;
    let mut value = start.clamp(s.first, s.last);
    let mut number = None;
    for _ in 0..size {
        let printed = format_number(s.prefix.as_deref(), value, s.last);
        if !state.live_numbers.contains(&printed) {
            number = Some(printed);
            break;
        }
        value = if value >= s.last { s.first } else { value + 1 };
    }
    let number = number.ok_or_else(|| DomainError::RangeExhausted(Names::of(s)))?;
    debug_assert_eq!(value_of(&number, s.prefix.as_deref()), Some(value));
    Ok(Ticket {
        priority,
        slot_start,
        ..Ticket::issued(
            ctx.new_id,
            number,
            service.clone(),
            ctx.now,
            state.issued + 1,
        )
    })
}

fn next(spec: &CentreSpec, state: &State, counter: CounterId, ctx: &Ctx) -> Decision {
    known_counter(spec, counter)?;
    let cstate = state
        .counters
        .get(&counter)
        .ok_or(DomainError::UnknownCounter(counter.0))?;
    if cstate.status != CounterStatus::Open {
        return Err(DomainError::InvalidState(Reason::CounterNotOpen));
    }
    let mut events = Vec::new();
    if let Some(t) = state
        .current(counter)
        .filter(|t| t.status == Status::Called)
    {
        events.push(finish(t.clone(), counter, ctx.now));
    }
    if let Some(id) = pick_next(spec, state, counter, ctx.now) {
        if let Some(t) = state.ticket(&id) {
            let mut t = t.clone();
            t.status = Status::Called;
            t.called_at = Some(ctx.now);
            t.first_called_at.get_or_insert(ctx.now);
            t.counter = Some(counter);
            t.clerk = cstate.clerk.as_ref().map(|c| c.id.clone());
            let audio = (ctx.announce)(&t.number, counter);
            events.push(Event::TicketCalled {
                ticket: t,
                counter,
                audio,
            });
        }
    }
    Ok(events)
}

fn login(spec: &CentreSpec, state: &State, counter: CounterId, clerk: &ClerkRef) -> Decision {
    known_counter(spec, counter)?;
    let mut events = Vec::new();
    for (id, c) in &state.counters {
        if *id != counter && c.clerk.as_ref().is_some_and(|k| k.id == clerk.id) {
            events.push(Event::ClerkLogin {
                counter: *id,
                clerk: None,
            });
            events.push(Event::CounterStatus {
                counter: *id,
                status: CounterStatus::Closed,
            });
        }
    }
    events.push(Event::ClerkLogin {
        counter,
        clerk: Some(clerk.clone()),
    });
    if state.counters.get(&counter).map(|c| c.status) != Some(CounterStatus::Open) {
        events.push(Event::CounterStatus {
            counter,
            status: CounterStatus::Open,
        });
    }
    Ok(events)
}

fn rate(
    state: &State,
    ticket: Option<TicketId>,
    counter: Option<CounterId>,
    score: u8,
    comment: &Option<String>,
    source: RatingSource,
    phone: &Option<String>,
) -> Decision {
    let phone = clean_phone(phone.as_deref())?;
    if !(1..=4).contains(&score) {
        return Err(DomainError::BadScore);
    }
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT)
    {
        return Err(DomainError::CommentTooLong);
    }
    let id = match (ticket, counter) {
        (Some(id), _) => id,
        (None, Some(c)) => state
            .counters
            .get(&c)
            .and_then(|c| c.last_served)
            .ok_or(DomainError::NoCurrentTicket)?,
        (None, None) => return Err(DomainError::TicketNotFound),
    };
    let t = state.ticket(&id).ok_or(DomainError::TicketNotFound)?;
    if counter.is_some_and(|c| state.counters.get(&c).and_then(|s| s.last_served) != Some(id)) {
        return Err(DomainError::NotThisCounter);
    }
    if t.status != Status::Done {
        return Err(DomainError::InvalidState(Reason::NotDone));
    }
    if state.ratings.contains_key(&id) {
        return Err(DomainError::AlreadyRated);
    }
    Ok(vec![Event::Rating(Rating {
        ticket: id,
        number: t.number.clone(),
        service: t.service.clone(),
        counter: t.counter,
        clerk: t.clerk.clone(),
        score,
        comment: comment.clone().filter(|c| !c.trim().is_empty()),
        source,
        phone,
    })])
}

/// Events that close a business day: every ticket still waiting or at a counter expires.
pub fn end_of_day(state: &State, now: DateTime<FixedOffset>) -> Vec<Event> {
    let mut open: Vec<&Ticket> = state
        .tickets
        .values()
        .filter(|t| matches!(t.status, Status::Waiting | Status::Called))
        .collect();
    open.sort_by_key(|t| t.order);
    open.into_iter()
        .map(|t| {
            let mut t = t.clone();
            t.status = Status::Expired;
            t.finished_at = Some(now);
            Event::TicketExpired { ticket: t }
        })
        .collect()
}

/// The first event of a new business day, carrying what outlives a day.
pub fn start_of_day(state: &State, day: chrono::NaiveDate) -> Event {
    let (counters, bookings) = state.carry();
    Event::DayStarted {
        day,
        counters,
        bookings: bookings
            .into_iter()
            .filter(|b| b.start.date_naive() >= day)
            .collect(),
        dossier: state.dossier.clone(),
        overlay: (*state.overlay).clone(),
    }
}
