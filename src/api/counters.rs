//! Counter routes for clerks: log in with a PIN, then next / recall / no-show / finish /
//! transfer / pause at their own counter; and what the rating tablet of a counter rates.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Principal;
use super::error::{ApiError, ApiJson, ApiResult};
use super::tickets::{own_ticket_of, run};
use super::{openapi, AppState};
use crate::domain::event::{ClerkRef, CounterStatus, Event};
use crate::domain::ids::{CounterId, ServiceId, StaffId};
use crate::domain::{Command, DomainError};
use crate::view::{self, Audience};

/// May `who` operate counter `n`? A clerk only at their own counter while on duty there.
fn authorize(app: &AppState, who: &Principal, n: u32) -> ApiResult<CounterId> {
    let counter = CounterId(n);
    if app.spec().counter(counter).is_none() {
        return Err(DomainError::UnknownCounter(n).into());
    }
    match who {
        Principal::Supervisor { .. } => Ok(counter),
        Principal::Clerk {
            staff,
            counter: own,
        } if *own == counter => {
            let model = app.read.current();
            let on_duty = model
                .snapshot()
                .counter(counter)
                .and_then(|c| c.clerk.as_ref())
                .is_some_and(|c| &c.id == staff);
            if on_duty {
                Ok(counter)
            } else {
                Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Phiên làm việc đã kết thúc (một cán bộ khác đã đăng nhập quầy này); hãy đăng nhập lại.",
                    "Your session has ended (another clerk logged in at this counter); log in again.",
                ))
            }
        }
        other => Err(other.refusal()),
    }
}

/// `cmd` as `who` sends it: a clerk's counter command carries the clerk's staff id, so the
/// writer refuses it (409 `not_on_duty`) when another clerk has taken the counter between
/// [`authorize`] (which reads the read model) and the decision.
fn acting(who: &Principal, cmd: Command) -> Command {
    match who {
        Principal::Clerk { staff, .. } => Command::AsClerk {
            staff: staff.clone(),
            command: Box::new(cmd),
        },
        _ => cmd,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/counters/{n}/next",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = openapi::NextAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = openapi::ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = openapi::ErrorBody),
    ),
)]
pub async fn next(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<Value>> {
    let counter = authorize(&app, &who, n)?;
    let events = run(&app, &who, acting(&who, Command::Next { counter })).await?;
    let mut finished = Value::Null;
    let mut called = Value::Null;
    for e in &events {
        match &e.event {
            Event::TicketFinished { ticket, .. } => finished = view::own_ticket(ticket),
            Event::TicketCalled { ticket, .. } => called = view::own_ticket(ticket),
            _ => {}
        }
    }
    Ok(Json(json!({"finished": finished, "ticket": called})))
}

async fn simple(
    app: AppState,
    who: Principal,
    n: u32,
    make: fn(CounterId) -> Command,
) -> ApiResult<Json<Value>> {
    let counter = authorize(&app, &who, n)?;
    let events = run(&app, &who, acting(&who, make(counter))).await?;
    Ok(Json(
        json!({"ticket": own_ticket_of(&app, &events).map(|(_, v)| v)}),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/counters/{n}/recall",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = openapi::TicketAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = openapi::ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = openapi::ErrorBody),
    ),
)]
pub async fn recall(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<Value>> {
    simple(app, who, n, |counter| Command::Recall { counter }).await
}

#[utoipa::path(
    post,
    path = "/api/v1/counters/{n}/no-show",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = openapi::TicketAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = openapi::ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = openapi::ErrorBody),
    ),
)]
pub async fn no_show(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<Value>> {
    simple(app, who, n, |counter| Command::NoShow { counter }).await
}

#[utoipa::path(
    post,
    path = "/api/v1/counters/{n}/finish",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = openapi::TicketAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = openapi::ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = openapi::ErrorBody),
    ),
)]
pub async fn finish(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<Value>> {
    simple(app, who, n, |counter| Command::Finish { counter }).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    #[schema(example = "chungthuc")]
    service: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/counters/{n}/transfer",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    request_body = TransferBody,
    responses(
        (status = 200, body = openapi::TicketAnswer),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = openapi::ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = openapi::ErrorBody),
    ),
)]
pub async fn transfer(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
    ApiJson(body): ApiJson<TransferBody>,
) -> ApiResult<Json<Value>> {
    let counter = authorize(&app, &who, n)?;
    let cmd = Command::Transfer {
        counter,
        service: ServiceId(body.service),
    };
    let events = run(&app, &who, acting(&who, cmd)).await?;
    Ok(Json(
        json!({"ticket": own_ticket_of(&app, &events).map(|(_, v)| v)}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    #[schema(value_type = openapi::CounterState)]
    status: CounterStatus,
}

#[utoipa::path(
    post,
    path = "/api/v1/counters/{n}/status",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    request_body = StatusBody,
    responses(
        (status = 200, body = openapi::Counter),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = openapi::ErrorBody),
        (status = 409, description = "`no_current_ticket`, `invalid_state`, `service_closed`, `range_exhausted`, `not_on_duty` (another clerk logged in at the counter meanwhile)", body = openapi::ErrorBody),
    ),
)]
pub async fn status(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Json<Value>> {
    let counter = authorize(&app, &who, n)?;
    let cmd = Command::SetStatus {
        counter,
        status: body.status,
    };
    run(&app, &who, acting(&who, cmd)).await?;
    Ok(Json(counter_json(&app, counter, Audience::Staff)))
}

/// A counter as the snapshot shows it.
pub fn counter_json(app: &AppState, counter: CounterId, audience: Audience) -> Value {
    let model = app.read.current();
    model.snapshot().counter(counter).map_or(Value::Null, |c| {
        json!({
            "id": c.id, "name": c.name, "status": c.status, "services": c.services,
            "mode": c.mode, "clerk": c.clerk, "served": c.served,
            "current": c.current.as_ref().map(|t| view::ticket(t, audience)),
        })
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    staff: String,
    pin: String,
    #[serde(default)]
    counter: Option<u32>,
    /// Take the counter over from the clerk who holds it (after a 409 `counter_taken`).
    #[serde(default)]
    force: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/login",
    tag = "staff",
    request_body = LoginBody,
    responses(
        (status = 200, body = openapi::LoginAnswer),
        (status = 401, description = "`unauthorized`: wrong staff id or PIN", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = openapi::ErrorBody),
        (status = 409, description = "`invalid_state`; `counter_taken`: another clerk holds the counter (send `force: true` to take it over)", body = openapi::ErrorBody),
        (status = 429, description = "`rate_limited`: 5 wrong PINs lock the staff id out at that address for 60 s (20 from anywhere lock the staff id, 30 from one address lock the address)", body = openapi::ErrorBody),
        (status = 503, description = "`unavailable`: storage, or too many PIN checks running and waiting in the whole daemon", body = openapi::ErrorBody),
    ),
)]
pub async fn login(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let ip = peer.ip();
    // The config file's staff with the admin page's changes; disabled ones cannot sign in.
    app.sync_directory();
    let staff = app.keys.directory.get().active_staff(&body.staff).cloned();
    let known = staff.as_ref().map(|s| s.id.0.clone());
    // Counts against the id's lockout while the check runs (auth.rs, LoginGuard::begin).
    let attempt = app.logins.begin(&body.staff, known.as_deref(), ip)?;
    let ok = match staff.as_ref().map(|s| s.pin_hash.clone()) {
        Some(hash) => {
            let pin = body.pin.clone();
            // argon2 is slow and memory-hungry by design: off the async workers, a few at
            // a time (pin_checks.rs).
            app.logins
                .pins
                .run(move || crate::config::verify_pin(&hash, &pin))
                .await?
        }
        None => false,
    };
    let Some(staff) = staff.filter(|_| ok) else {
        let left = app.logins.failed(known.as_deref(), ip);
        drop(attempt);
        tracing::info!(staff = %body.staff, %ip, "login refused: wrong staff id or PIN");
        let (vi, en) = match left {
            Some(n) if n > 0 => (
                format!("Sai mã cán bộ hoặc mã PIN — còn {n} lần thử trước khi bị khóa 60 giây."),
                format!("Wrong staff id or PIN — {n} tries left before a 60-second lockout."),
            ),
            Some(_) => (
                "Sai mã PIN 5 lần: tạm khóa 60 giây.".to_string(),
                "5 wrong PINs: locked for 60 seconds.".to_string(),
            ),
            None => (
                "Sai mã cán bộ hoặc mã PIN.".to_string(),
                "Wrong staff id or PIN.".to_string(),
            ),
        };
        return Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            vi,
            en,
        ));
    };
    app.logins.succeeded(&body.staff, ip);
    drop(attempt);
    let now = chrono::Utc::now().timestamp();
    let counter = body.counter.map(CounterId);
    let Some(counter) = counter else {
        if !staff.supervisor {
            return Err(ApiError::bad_request("`counter` is required"));
        }
        let token = app.keys.sign(&staff.id, None, true, now);
        return Ok(Json(json!({
            "token": token, "role": "supervisor", "counter": null,
            "staff": {"id": staff.id, "name": staff.name},
            "must_change_pin": staff.must_change_pin,
        })));
    };
    let clerk = ClerkRef {
        id: staff.id.clone(),
        name: staff.name.clone(),
        photo: super::admin_staff::photo_of(&app, &staff),
    };
    super::desk::check_takeover(&app, &staff.id, counter, body.force)?;
    let who = Principal::Clerk {
        staff: staff.id.clone(),
        counter,
    };
    run(&app, &who, Command::Login { counter, clerk }).await?;
    let token = app.keys.sign(&staff.id, Some(counter), false, now);
    Ok(Json(json!({
        "token": token, "role": "clerk", "counter": counter,
        "staff": {"id": staff.id, "name": staff.name},
        "must_change_pin": staff.must_change_pin,
    })))
}

pub fn photo_url(app: &AppState, staff: &StaffId, has_photo: bool) -> Option<String> {
    (has_photo && app.config.photos_dir.is_some()).then(|| format!("/photos/{staff}"))
}

#[utoipa::path(
    post,
    path = "/api/v1/logout",
    tag = "staff",
    security(("bearer" = [])),
    responses(
        (status = 200, body = openapi::LogoutAnswer),
        (status = 403, description = "`forbidden`: not a clerk", body = openapi::ErrorBody),
    ),
)]
pub async fn logout(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    let Principal::Clerk { staff, counter } = &who else {
        return Err(who.refusal());
    };
    let cmd = Command::Logout {
        counter: *counter,
        staff: staff.clone(),
    };
    run(&app, &who, cmd).await?;
    Ok(Json(json!({"counter": counter, "clerk": null})))
}

/// What the rating tablet of counter `n` rates: the ticket last served there.
#[utoipa::path(
    get,
    path = "/api/v1/counters/{n}/rating-target",
    tag = "counters",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number", example = 1)),
    responses(
        (status = 200, body = openapi::RatingTarget),
        (status = 403, description = "`forbidden`: not the clerk of this counter", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_counter`", body = openapi::ErrorBody),
    ),
)]
pub async fn rating_target(
    State(app): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> ApiResult<Json<Value>> {
    let counter = CounterId(n);
    match &who {
        Principal::Rating(c) if *c == counter => {}
        Principal::Clerk { counter: c, .. } if *c == counter => {}
        Principal::Supervisor { .. } => {}
        other => return Err(other.refusal()),
    }
    let model = app.read.current();
    let c = model
        .snapshot()
        .counter(counter)
        .ok_or(DomainError::UnknownCounter(n))?;
    let ticket = c.last_served.and_then(|id| model.ticket(&id));
    Ok(Json(json!({
        "counter": counter,
        "clerk": c.clerk,
        "ticket": ticket.map(|t| json!({
            "number": t.number, "service": t.service, "finished_at": t.finished_at,
            "clerk": t.clerk, "rated": model.rating(&t.id).is_some(),
        })),
    })))
}
