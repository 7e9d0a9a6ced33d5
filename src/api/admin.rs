//! The admin page's API ("Quản trị", issue 20), supervisors only: each change is a
//! `config_changed` event decided and journalled by the engine like any other command
//! (`domain::admin`), then the sign-in directory is swapped (`api::directory`). This file
//! holds what every admin route shares and the centre's routes (counters, services, notice,
//! audit); staff are in `admin_staff.rs`, devices in `admin_devices.rs`.

use axum::extract::{Path as UrlPath, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::domain::admin::{Actor, AdminChange};
use crate::domain::admin_audit::AuditEntry;
use crate::domain::ids::{CounterId, ServiceId};
use crate::domain::rules;
use crate::domain::spec::{Mode, SlotSpec, TimeWindow};
use crate::domain::Command;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(counters))
        .routes(routes!(counter))
        .routes(routes!(services))
        .routes(routes!(service))
        .routes(routes!(notice_now, notice))
        .routes(routes!(audit))
}

/// Who makes a change: the supervisor's staff id and name, or the supervisor device (by the
/// `token` it sent).
pub fn actor(app: &AppState, who: &Principal, token: Option<&str>) -> Actor {
    match who {
        Principal::Supervisor { staff: Some(s) } | Principal::Clerk { staff: s, .. } => Actor {
            id: s.0.clone(),
            name: app
                .keys
                .directory
                .get()
                .staff(s)
                .map_or_else(|| s.0.clone(), |k| k.name.clone()),
        },
        other => {
            let device = token.and_then(|t| {
                app.keys
                    .directory
                    .get()
                    .device_by_token(t)
                    .map(|d| d.name.clone())
            });
            Actor {
                id: format!("device:{}", device.as_deref().unwrap_or(other.role())),
                name: device.unwrap_or_else(|| "Thiết bị giám sát / supervisor device".into()),
            }
        }
    }
}

/// Decides and journals one change as `who` (who sent `token`), then swaps the sign-in
/// directory.
pub async fn apply(
    app: &AppState,
    who: &Principal,
    token: Option<&str>,
    change: AdminChange,
) -> ApiResult<()> {
    let cmd = Command::Admin {
        change: Box::new(change),
        by: actor(app, who, token),
        base: app.keys.directory.base(),
    };
    super::command::run(app, who, cmd).await?;
    app.sync_directory();
    Ok(())
}

/// A 400 about one field of the request.
pub fn field_error(field: &'static str, vi: &str, en: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid_field",
        vi.to_string(),
        en.to_string(),
    )
    .on_field(field)
}

/// A counter as the admin page shows it.
#[derive(Serialize, ToSchema)]
pub struct CounterRow {
    pub id: u32,
    pub name: String,
    pub services: Vec<String>,
    /// `fifo` or `ordered`.
    pub mode: String,
}

fn counter_row(c: &crate::domain::spec::CounterSpec) -> CounterRow {
    CounterRow {
        id: c.id.0,
        name: c.name.clone(),
        services: c.services.iter().map(|s| s.to_string()).collect(),
        mode: match c.mode {
            Mode::Fifo => "fifo",
            Mode::Ordered => "ordered",
        }
        .to_string(),
    }
}

/// Every counter with its services and mode (effective configuration).
#[utoipa::path(
    get,
    path = "/admin/counters",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<CounterRow>),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn counters(
    State(app): State<AppState>,
    who: Principal,
) -> ApiResult<Json<Vec<CounterRow>>> {
    who.require_supervisor()?;
    Ok(Json(app.spec().counters.iter().map(counter_row).collect()))
}

/// Every service as the admin page edits it (effective configuration).
#[utoipa::path(
    get,
    path = "/admin/services",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ServiceRow>),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn services(
    State(app): State<AppState>,
    who: Principal,
) -> ApiResult<Json<Vec<ServiceRow>>> {
    who.require_supervisor()?;
    let ids: Vec<ServiceId> = app.spec().services.iter().map(|s| s.id.clone()).collect();
    Ok(Json(
        ids.iter().filter_map(|id| service_row(&app, id)).collect(),
    ))
}

/// The notice line now.
#[utoipa::path(
    get,
    path = "/admin/notice",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = NoticeBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn notice_now(
    State(app): State<AppState>,
    who: Principal,
) -> ApiResult<Json<NoticeBody>> {
    who.require_supervisor()?;
    let model = app.read.current();
    let c = model.centre();
    Ok(Json(NoticeBody {
        vi: c.notice.clone(),
        en: c.notice_en.clone(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterBody {
    /// Service ids in the counter's order (at least one).
    services: Vec<String>,
    /// `fifo` or `ordered`.
    mode: String,
}

/// Changes a counter's services and mode; the clerk's next call follows them.
#[utoipa::path(
    patch,
    path = "/admin/counters/{n}",
    tag = "admin",
    security(("bearer" = [])),
    params(("n" = u32, Path, description = "Counter number")),
    request_body = CounterBody,
    responses(
        (status = 200, body = CounterRow),
        (status = 400, description = "`invalid_field` (`field`: `services`, `mode`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_counter`", body = ErrorBody),
        (status = 409, description = "`service_has_tickets`: a service with live tickets would have no counter left (close it instead)", body = ErrorBody),
    ),
)]
pub async fn counter(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    UrlPath(n): UrlPath<u32>,
    ApiJson(body): ApiJson<CounterBody>,
) -> ApiResult<Json<CounterRow>> {
    who.require_supervisor()?;
    let mode = match body.mode.as_str() {
        "fifo" => Mode::Fifo,
        "ordered" => Mode::Ordered,
        _ => {
            return Err(field_error(
                "mode",
                "Cách gọi số phải là \"fifo\" hoặc \"ordered\".",
                "The mode must be \"fifo\" or \"ordered\".",
            ))
        }
    };
    let change = AdminChange::CounterChanged {
        counter: CounterId(n),
        services: body.services.into_iter().map(ServiceId::new).collect(),
        mode,
    };
    apply(&app, &who, token.as_deref(), change).await?;
    let spec = app.spec();
    let c = spec.counter(CounterId(n)).ok_or_else(ApiError::not_found)?;
    Ok(Json(counter_row(c)))
}

/// A service as the admin page shows it (the spec's own shape, with `closed`).
#[derive(Serialize, ToSchema)]
pub struct ServiceRow {
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// Issuing windows `HH:MM-HH:MM` (the days are those of the config file).
    pub hours: Vec<String>,
    pub target_wait_s: u32,
    pub remote: bool,
    /// Appointment slots (as `SlotSpec`), or null.
    #[schema(value_type = Option<Object>)]
    pub appointments: Option<SlotSpec>,
    /// Issuing stopped on the admin page (live tickets are still served).
    pub closed: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    name: Option<String>,
    name_en: Option<String>,
    /// Issuing windows `HH:MM-HH:MM`; empty: all day.
    hours: Option<Vec<String>>,
    target_wait_s: Option<u32>,
    remote: Option<bool>,
    /// The slot spec; `false` stops taking appointments (409 `service_has_bookings` while
    /// citizens hold bookings still to come); absent or null: no change.
    #[schema(value_type = Option<Object>)]
    appointments: Option<AppointmentsField>,
    closed: Option<bool>,
}

/// `appointments` of a service change: new slots, or `false` to stop taking appointments.
pub enum AppointmentsField {
    Stop(bool),
    Slots(SlotSpec),
}

// By hand rather than `untagged`: a malformed slot spec keeps serde's own message (which
// key is wrong) instead of "did not match any variant".
impl<'de> Deserialize<'de> for AppointmentsField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(b) => Ok(AppointmentsField::Stop(b)),
            other => serde_json::from_value(other)
                .map(AppointmentsField::Slots)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Changes a service's names, hours, target wait, phone tickets, appointment slots, or
/// stops/resumes its issuing (`closed`).
#[utoipa::path(
    patch,
    path = "/admin/services/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Service id")),
    request_body = ServiceBody,
    responses(
        (status = 200, body = ServiceRow),
        (status = 400, description = "`invalid_field` (`field`: `name`, `name_en`, `hours`, `target_wait_s`, `appointments`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_service`", body = ErrorBody),
        (status = 409, description = "`service_has_bookings` (`field`: `appointments`): `appointments: false` while citizens hold bookings still to come", body = ErrorBody),
    ),
)]
pub async fn service(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    UrlPath(id): UrlPath<String>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> ApiResult<Json<ServiceRow>> {
    who.require_supervisor()?;
    let hours = match body.hours {
        None => None,
        Some(list) => {
            let mut out: Vec<TimeWindow> = Vec::new();
            for text in &list {
                let Some(w) = rules::parse_window(text) else {
                    return Err(field_error(
                        "hours",
                        "Giờ làm việc phải có dạng HH:MM-HH:MM.",
                        "Hours must be HH:MM-HH:MM.",
                    ));
                };
                out.push(w);
            }
            Some(out)
        }
    };
    let (appointments, no_appointments) = match body.appointments {
        None => (None, false),
        Some(AppointmentsField::Slots(a)) => (Some(a), false),
        Some(AppointmentsField::Stop(false)) => (None, true),
        Some(AppointmentsField::Stop(true)) => {
            return Err(field_error(
                "appointments",
                "Lịch hẹn là khung giờ và sức chứa, hoặc false để ngừng nhận lịch hẹn.",
                "Appointments are slots (windows and capacity), or false to stop them.",
            ))
        }
    };
    let sid = ServiceId::new(id);
    let change = AdminChange::ServiceChanged {
        id: sid.clone(),
        name: body.name,
        name_en: body.name_en,
        hours,
        target_wait_s: body.target_wait_s,
        remote: body.remote,
        appointments,
        no_appointments,
        closed: body.closed,
    };
    apply(&app, &who, token.as_deref(), change).await?;
    service_row(&app, &sid)
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

/// The effective service `id` as a row.
pub fn service_row(app: &AppState, id: &ServiceId) -> Option<ServiceRow> {
    let model = app.read.current();
    let s = model.spec().service(id)?;
    Some(ServiceRow {
        id: s.id.to_string(),
        name: s.name.clone(),
        name_en: s.name_en.clone(),
        hours: s.hours.windows.iter().map(rules::fmt_window).collect(),
        target_wait_s: s.target_wait_s,
        remote: s.remote,
        appointments: s.appointments.clone(),
        closed: s.hours.closed,
    })
}

/// The notice line of the board.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    /// Vietnamese line (null or empty: none).
    vi: Option<String>,
    /// English line (null or empty: the English board shows `vi`).
    en: Option<String>,
}

/// Sets the board's scrolling notice line (the boards show it at once).
#[utoipa::path(
    patch,
    path = "/admin/notice",
    tag = "admin",
    security(("bearer" = [])),
    request_body = NoticeBody,
    responses(
        (status = 200, body = NoticeBody),
        (status = 400, description = "`invalid_field` (`field`: `vi`, `en`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn notice(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    ApiJson(body): ApiJson<NoticeBody>,
) -> ApiResult<Json<NoticeBody>> {
    who.require_supervisor()?;
    let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (vi, en) = (clean(body.vi), clean(body.en));
    let change = AdminChange::NoticeChanged {
        vi: vi.clone(),
        en: en.clone(),
    };
    apply(&app, &who, token.as_deref(), change).await?;
    Ok(Json(NoticeBody { vi, en }))
}

/// One change of the audit list.
#[derive(Serialize, ToSchema)]
pub struct AuditRow {
    pub seq: u64,
    pub at: chrono::DateTime<chrono::FixedOffset>,
    #[schema(value_type = Object)]
    pub by: Actor,
    /// `staff_added`, `pin_reset`, `device_revoked`, `counter_changed`, …
    pub change: String,
    pub summary: String,
    pub summary_en: String,
}

/// The admin page's changes, newest first (the latest 500, across days).
#[utoipa::path(
    get,
    path = "/admin/audit",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<AuditRow>),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn audit(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Vec<AuditRow>>> {
    who.require_supervisor()?;
    let model = app.read.current();
    // Services are named here, with the effective spec now (domain::admin_audit).
    let spec = model.spec();
    let rows = model
        .lobby()
        .overlay
        .audit
        .iter()
        .rev()
        .map(|a: &AuditEntry| {
            let (summary, summary_en) = a.rendered(spec);
            AuditRow {
                seq: a.seq,
                at: a.at,
                by: a.by.clone(),
                change: a.change.clone(),
                summary,
                summary_en,
            }
        })
        .collect();
    Ok(Json(rows))
}
