//! Staff sessions: `POST /login` (a PIN, argon2-checked off the async workers, a few at a
//! time; a clerk takes a counter, confirming with `force` when another clerk holds it),
//! `POST /logout`, and `GET /me` (who the token belongs to, and a clerk's day at a glance).
//! Tokens, keys and the PIN lockout are in auth.rs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::command::{audience, run};
use super::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use super::pin_attempt::{locked_out_text, tries_left_text, PinCheck};
use super::views::OwnedTicketView;
use crate::domain::event::ClerkRef;
use crate::domain::ids::{CounterId, StaffId};
use crate::domain::Command;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Deserialize, ToSchema)]
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

/// A staff member by id and name.
#[derive(Serialize, ToSchema)]
pub struct StaffRef {
    #[schema(value_type = String)]
    pub id: StaffId,
    pub name: Option<String>,
}

/// A signed-in session.
#[derive(Serialize, ToSchema)]
pub struct LoginAnswer {
    pub token: String,
    /// `clerk` or `supervisor`.
    pub role: &'static str,
    #[schema(value_type = Option<u32>)]
    pub counter: Option<CounterId>,
    pub staff: StaffRef,
    /// Signed in with a one-time PIN (a new staff member, or a PIN reset on the admin page):
    /// every other route answers 403 `pin_change_required` until `POST /me/pin`.
    pub must_change_pin: bool,
}

#[utoipa::path(
    post,
    path = "/login",
    tag = "staff",
    request_body = LoginBody,
    responses(
        (status = 200, body = LoginAnswer),
        (status = 401, description = "`unauthorized`: wrong staff id or PIN", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`invalid_state`; `counter_taken`: another clerk holds the counter (send `force: true` to take it over)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: 5 wrong PINs lock the staff id out at that address for 60 s (20 from anywhere lock the staff id, 30 from one address lock the address)", body = ErrorBody),
        (status = 503, description = "`unavailable`: storage, or too many PIN checks running and waiting in the whole daemon", body = ErrorBody),
    ),
)]
pub async fn login(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<LoginAnswer>> {
    let ip = peer.ip();
    // The config file's staff with the admin page's changes; disabled ones cannot sign in.
    app.sync_directory();
    let staff = app.keys.directory.get().active_staff(&body.staff).cloned();
    let known = staff.as_ref().map(|s| s.id.0.clone());
    // Counts against the id's lockout while the check runs (pin_checks.rs).
    let hash = staff.as_ref().map(|s| s.pin_hash.clone());
    let check = app
        .logins
        .check_pin(&body.staff, known.as_deref(), ip, hash, body.pin.clone())
        .await?;
    let staff = match (staff, check) {
        (Some(staff), PinCheck::Right) => staff,
        // A right PIN is always a known staff member's (no hash, no check): `left` is None
        // only for an id that names nobody.
        (_, check) => {
            let left = match check {
                PinCheck::Wrong { left } => left,
                PinCheck::Right => None,
            };
            tracing::info!(staff = %body.staff, %ip, "login refused: wrong staff id or PIN");
            return Err(wrong_login(left));
        }
    };
    let now = chrono::Utc::now().timestamp();
    let me = StaffRef {
        id: staff.id.clone(),
        name: Some(staff.name.clone()),
    };
    let counter = body.counter.map(CounterId);
    let Some(counter) = counter else {
        if !staff.supervisor {
            return Err(ApiError::bad_request("`counter` is required"));
        }
        let token = app.keys.sign(&staff.id, None, true, now);
        return Ok(Json(LoginAnswer {
            token,
            role: "supervisor",
            counter: None,
            staff: me,
            must_change_pin: staff.must_change_pin,
        }));
    };
    let clerk = ClerkRef {
        id: staff.id.clone(),
        name: staff.name.clone(),
        photo: super::admin_staff::photo_of(&app, &staff),
    };
    check_takeover(&app, &staff.id, counter, body.force)?;
    let who = Principal::Clerk {
        staff: staff.id.clone(),
        counter,
    };
    run(&app, &who, Command::Login { counter, clerk }).await?;
    let token = app.keys.sign(&staff.id, Some(counter), false, now);
    Ok(Json(LoginAnswer {
        token,
        role: "clerk",
        counter: Some(counter),
        staff: me,
        must_change_pin: staff.must_change_pin,
    }))
}

/// Refuses a login at `counter` while another clerk holds it, unless `force` (the clerk
/// confirmed taking over). The 409 `counter_taken` names the clerk on duty.
fn check_takeover(
    app: &AppState,
    staff: &StaffId,
    counter: CounterId,
    force: bool,
) -> ApiResult<()> {
    if force {
        return Ok(());
    }
    let model = app.read.current();
    let Some(c) = model.snapshot().counter(counter) else {
        return Ok(());
    };
    match &c.clerk {
        Some(holder) if &holder.id != staff => Err(ApiError::new(
            StatusCode::CONFLICT,
            "counter_taken",
            format!(
                "{} đang do {} ({}) phụ trách. Đăng nhập tiếp sẽ thay cán bộ này.",
                c.name, holder.name, holder.id
            ),
            format!(
                "{} is held by {} ({}). Signing in takes it over from them.",
                c.name, holder.name, holder.id
            ),
        )),
        _ => Ok(()),
    }
}

/// After a logout the counter has no clerk.
#[derive(Serialize, ToSchema)]
pub struct LogoutAnswer {
    #[schema(value_type = u32)]
    pub counter: CounterId,
    /// Always null.
    pub clerk: Option<ClerkRef>,
}

#[utoipa::path(
    post,
    path = "/logout",
    tag = "staff",
    security(("bearer" = [])),
    responses(
        (status = 200, body = LogoutAnswer),
        (status = 403, description = "`forbidden`: not a clerk", body = ErrorBody),
    ),
)]
pub async fn logout(State(app): State<AppState>, who: Principal) -> ApiResult<Json<LogoutAnswer>> {
    let Principal::Clerk { staff, counter } = &who else {
        return Err(who.refusal());
    };
    let cmd = Command::Logout {
        counter: *counter,
        staff: staff.clone(),
    };
    run(&app, &who, cmd).await?;
    Ok(Json(LogoutAnswer {
        counter: *counter,
        clerk: None,
    }))
}

/// Who a token belongs to, and for a clerk today's work at a glance.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// `clerk`, `supervisor`, `kiosk`, `display`, `rating`.
    pub role: &'static str,
    pub staff: Option<StaffRef>,
    #[schema(value_type = Option<u32>)]
    pub counter: Option<CounterId>,
    pub served_today: u32,
    pub avg_service_s: Option<i64>,
    pub current: Option<OwnedTicketView>,
    /// The session was opened with a one-time PIN that must be changed (`POST /me/pin`).
    pub must_change_pin: bool,
}

/// Who the token belongs to, and for a clerk today's work at a glance.
#[utoipa::path(
    get,
    path = "/me",
    tag = "staff",
    security(("bearer" = [])),
    responses((status = 200, body = Me)),
)]
pub async fn me(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Me>> {
    if who == Principal::Public {
        return Err(ApiError::unauthorized());
    }
    let (staff, counter) = match &who {
        Principal::Clerk { staff, counter } => (Some(staff.clone()), Some(*counter)),
        Principal::Supervisor { staff } => (staff.clone(), None),
        Principal::Rating(c) => (None, Some(*c)),
        _ => (None, None),
    };
    let model = app.read.current();
    // Today's figures of this clerk (the day's stats count each finished ticket once).
    let (served, total_s) = staff
        .as_ref()
        .and_then(|s| model.stats().clerks.get(s))
        .map_or((0, 0), |a| {
            (
                a.served,
                a.service_times.iter().map(|&t| i64::from(t)).sum::<i64>(),
            )
        });
    let current = counter
        .and_then(|c| model.snapshot().counter(c))
        .and_then(|k| k.current.as_ref())
        .map(|t| OwnedTicketView::new(t, audience(&who)));
    Ok(Json(Me {
        role: who.role(),
        must_change_pin: staff
            .as_ref()
            .and_then(|s| app.staff(s))
            .is_some_and(|k| k.must_change_pin),
        staff: staff.map(|id| StaffRef {
            name: app.staff(&id).map(|k| k.name),
            id,
        }),
        counter,
        served_today: served,
        avg_service_s: (served > 0).then(|| total_s / i64::from(served)),
        current,
    }))
}

/// 401 `unauthorized` for a wrong staff id or PIN, with the tries left before the lockout
/// (`left`: None for an id that names nobody).
fn wrong_login(left: Option<u32>) -> ApiError {
    let (vi, en) = match left {
        Some(n) if n > 0 => {
            let (vi, en) = tries_left_text(n);
            (
                format!("Sai mã cán bộ hoặc mã PIN — {vi}"),
                format!("Wrong staff id or PIN — {en}"),
            )
        }
        Some(_) => locked_out_text(),
        None => (
            "Sai mã cán bộ hoặc mã PIN.".to_string(),
            "Wrong staff id or PIN.".to_string(),
        ),
    };
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", vi, en)
}
