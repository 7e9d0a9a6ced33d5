//! Staff on the admin page: list, add (with a one-time PIN), rename or disable, reset a
//! PIN, upload a photo; and the clerk's own new PIN (`POST /api/v1/me/pin`). PINs are shown
//! once and only their argon2 hash is journalled; hashing runs off the async workers.

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::admin::{apply, field_error};
use super::app::AppState;
use super::auth::Principal;
use super::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use super::pin_attempt::{locked_out_text, tries_left_text, PinCheck};
use crate::domain::admin::AdminChange;
use crate::domain::admin_roster::StaffEntry;
use crate::domain::ids::StaffId;
use crate::domain::Command;

/// Largest photo accepted.
pub const MAX_PHOTO: usize = 512 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    // A photo is larger than the API's 16 KiB body limit: its route gets its own.
    let photos = OpenApiRouter::new()
        .routes(routes!(photo))
        .layer(DefaultBodyLimit::max(MAX_PHOTO));
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(update))
        .routes(routes!(reset_pin))
        .routes(routes!(change_pin))
        .merge(photos)
}

/// A staff member as the admin page lists them (never a hash).
#[derive(Serialize, ToSchema)]
pub struct StaffRow {
    pub id: String,
    pub name: String,
    pub supervisor: bool,
    pub disabled: bool,
    pub has_photo: bool,
    pub must_change_pin: bool,
    /// `config` (the config file) or `admin` (added on the page).
    pub source: String,
}

fn row(s: &StaffEntry) -> StaffRow {
    StaffRow {
        id: s.id.0.clone(),
        name: s.name.clone(),
        supervisor: s.supervisor,
        disabled: s.disabled,
        has_photo: s.uploaded_photo.is_some() || s.photo.is_some(),
        must_change_pin: s.must_change_pin,
        source: s.source.as_str().to_string(),
    }
}

/// The photo URL screens show for a staff member, if they have one.
pub fn photo_of(app: &AppState, s: &StaffEntry) -> Option<String> {
    let has = s.uploaded_photo.is_some() || (s.photo.is_some() && app.config.photos_dir.is_some());
    has.then(|| format!("/photos/{}", s.id))
}

/// Six random digits.
fn one_time_pin() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// argon2 off the async workers.
async fn hash(pin: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || crate::config::hash_pin(&pin))
        .await
        .map_err(|e| ApiError::unavailable(&e.to_string()))?
        .map_err(|e| ApiError::unavailable(&e.to_string()))
}

fn staff_row(app: &AppState, id: &StaffId) -> ApiResult<Json<StaffRow>> {
    app.keys
        .directory
        .get()
        .staff(id)
        .map(|s| Json(row(s)))
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(
    get,
    path = "/admin/staff",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<StaffRow>),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn list(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Vec<StaffRow>>> {
    who.require_supervisor()?;
    app.sync_directory();
    Ok(Json(
        app.keys
            .directory
            .get()
            .roster
            .staff
            .iter()
            .map(row)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// 1–32 of `A-Z a-z 0-9 - _ .`, unique.
    id: String,
    name: String,
    #[serde(default)]
    supervisor: bool,
}

/// A one-time PIN, shown once.
#[derive(Serialize, ToSchema)]
pub struct NewStaffAnswer {
    pub id: String,
    pub name: String,
    /// Six digits; the staff member chooses their own at the first login.
    pub pin: String,
}

#[utoipa::path(
    post,
    path = "/admin/staff",
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewStaff,
    responses(
        (status = 201, body = NewStaffAnswer),
        (status = 400, description = "`invalid_field` (`field`: `id`, `name`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 409, description = "`duplicate` (`field`: `id`)", body = ErrorBody),
    ),
)]
pub async fn add(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    ApiJson(body): ApiJson<NewStaff>,
) -> ApiResult<(StatusCode, Json<NewStaffAnswer>)> {
    who.require_supervisor()?;
    let pin = one_time_pin();
    let change = AdminChange::StaffAdded {
        id: StaffId(body.id.clone()),
        name: body.name.trim().to_string(),
        supervisor: body.supervisor,
        pin_hash: hash(pin.clone()).await?,
    };
    apply(&app, &who, token.as_deref(), change).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewStaffAnswer {
            id: body.id,
            name: body.name.trim().to_string(),
            pin,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPatchBody {
    name: Option<String>,
    /// true: they can no longer sign in and their open sessions end.
    disabled: Option<bool>,
}

#[utoipa::path(
    patch,
    path = "/admin/staff/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Staff id")),
    request_body = StaffPatchBody,
    responses(
        (status = 200, body = StaffRow),
        (status = 400, description = "`invalid_field` (`field`: `name`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_staff`", body = ErrorBody),
        (status = 409, description = "`last_supervisor`: the last enabled supervisor cannot be disabled", body = ErrorBody),
    ),
)]
pub async fn update(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    UrlPath(id): UrlPath<String>,
    ApiJson(body): ApiJson<StaffPatchBody>,
) -> ApiResult<Json<StaffRow>> {
    who.require_supervisor()?;
    let id = StaffId(id);
    if body.name.is_some() || body.disabled.is_some() {
        let change = AdminChange::StaffUpdated {
            id: id.clone(),
            name: body.name.map(|n| n.trim().to_string()),
            disabled: body.disabled,
            photo: None,
        };
        apply(&app, &who, token.as_deref(), change).await?;
    }
    if body.disabled == Some(true) {
        sign_off_counters(&app, &who, &id).await?;
    }
    staff_row(&app, &id)
}

/// A disabled clerk leaves the counters they hold (the board stops showing them there and
/// the counter closes, as at a logout); their sessions already stopped working.
async fn sign_off_counters(app: &AppState, who: &Principal, id: &StaffId) -> ApiResult<()> {
    let held: Vec<_> = app
        .read
        .current()
        .snapshot()
        .counters()
        .iter()
        .filter(|c| c.clerk.as_ref().is_some_and(|k| &k.id == id))
        .map(|c| c.id)
        .collect();
    for counter in held {
        let cmd = Command::Logout {
            counter,
            staff: id.clone(),
        };
        match super::command::execute(app, who, cmd).await {
            // Someone else took the counter meanwhile: nothing to undo.
            Err(crate::engine::EngineError::Domain(_)) | Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The one-time PIN of a reset.
#[derive(Serialize, ToSchema)]
pub struct PinAnswer {
    pub pin: String,
}

#[utoipa::path(
    post,
    path = "/admin/staff/{id}/reset-pin",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Staff id")),
    responses(
        (status = 200, body = PinAnswer),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_staff`", body = ErrorBody),
    ),
)]
pub async fn reset_pin(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    UrlPath(id): UrlPath<String>,
) -> ApiResult<Json<PinAnswer>> {
    who.require_supervisor()?;
    let pin = one_time_pin();
    let change = AdminChange::PinReset {
        id: StaffId(id),
        pin_hash: hash(pin.clone()).await?,
    };
    apply(&app, &who, token.as_deref(), change).await?;
    Ok(Json(PinAnswer { pin }))
}

/// Stores an uploaded photo (JPEG or PNG, at most 512 KiB) under `<data-dir>/photos/`.
#[utoipa::path(
    put,
    path = "/admin/staff/{id}/photo",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Staff id")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses(
        (status = 204, description = "Stored; `/photos/{id}` serves it"),
        (status = 400, description = "`invalid_field` (`field`: `photo`): not a JPEG or PNG", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_staff`", body = ErrorBody),
    ),
)]
pub async fn photo(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    who.require_supervisor()?;
    let ext = match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some("image/jpeg") if body.starts_with(&[0xFF, 0xD8, 0xFF]) => "jpg",
        Some("image/png") if body.starts_with(b"\x89PNG\r\n\x1a\n") => "png",
        _ => {
            return Err(field_error(
                "photo",
                "Ảnh phải là tệp JPEG hoặc PNG (tối đa 512 KiB).",
                "The photo must be a JPEG or PNG file (512 KiB at most).",
            ))
        }
    };
    let id = StaffId(id);
    if app.keys.directory.get().staff(&id).is_none() {
        return Err(ApiError::not_found());
    }
    if !crate::domain::admin_check::staff_id_ok(&id.0) {
        return Err(ApiError::not_found());
    }
    let file = format!("{id}.{ext}");
    let dir = app.data_dir.join("photos");
    let path = dir.join(&file);
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &body)?;
        std::fs::rename(&tmp, &path)
    })
    .await
    .map_err(|e| ApiError::unavailable(&e.to_string()))?
    .map_err(|e| ApiError::unavailable(&e.to_string()))?;
    let change = AdminChange::StaffUpdated {
        id,
        name: None,
        disabled: None,
        photo: Some(file),
    };
    apply(&app, &who, token.as_deref(), change).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPin {
    /// The PIN signed in with (the one-time PIN after a reset).
    pin: String,
    /// 4–8 digits, not the old one.
    new_pin: String,
}

/// A signed-in staff member chooses their own PIN (required after a reset).
#[utoipa::path(
    post,
    path = "/me/pin",
    tag = "staff",
    security(("bearer" = [])),
    request_body = NewPin,
    responses(
        (status = 204, description = "The new PIN works; the old one no longer does"),
        (status = 400, description = "`invalid_field` (`field`: `new_pin`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a signed-in staff member; `wrong_pin` (`field`: `pin`)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: wrong current PINs count toward the login's lockout of this staff id (5 at one address lock it for 60 s)", body = ErrorBody),
        (status = 503, description = "`unavailable`: too many PIN checks running and waiting in the whole daemon", body = ErrorBody),
    ),
)]
pub async fn change_pin(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    ApiJson(body): ApiJson<NewPin>,
) -> ApiResult<StatusCode> {
    let staff = match &who {
        Principal::Clerk { staff, .. } | Principal::Supervisor { staff: Some(staff) } => {
            staff.clone()
        }
        other => return Err(other.refusal()),
    };
    let ok = (4..=8).contains(&body.new_pin.len())
        && body.new_pin.bytes().all(|b| b.is_ascii_digit())
        && body.new_pin != body.pin;
    if !ok {
        return Err(field_error(
            "new_pin",
            "Mã PIN mới gồm 4–8 chữ số và khác mã cũ.",
            "The new PIN is 4 to 8 digits, not the old one.",
        ));
    }
    let entry = app
        .keys
        .directory
        .get()
        .staff(&staff)
        .cloned()
        .ok_or_else(ApiError::unauthorized)?;
    // A wrong current PIN counts toward the same lockout as a wrong PIN at the login (this
    // staff id at this address, the id everywhere, the address): a stolen session cannot
    // guess the PIN faster than the login lets anyone, and the argon2 checks stay capped.
    let ip = peer.ip();
    let (hash_now, old) = (entry.pin_hash.clone(), body.pin.clone());
    let check = app
        .logins
        .check_pin(&staff.0, Some(&staff.0), ip, Some(hash_now), old)
        .await?;
    if let PinCheck::Wrong { left } = check {
        tracing::info!(staff = %staff, %ip, "PIN change refused: wrong current PIN");
        return Err(wrong_current_pin(left.unwrap_or(0)));
    }
    let change = AdminChange::PinChanged {
        id: staff,
        pin_hash: hash(body.new_pin).await?,
    };
    apply(&app, &who, token.as_deref(), change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 403 `wrong_pin` on the field `pin`, with the tries left before the lockout.
fn wrong_current_pin(left: u32) -> ApiError {
    let (vi, en) = if left > 0 {
        let (vi, en) = tries_left_text(left);
        (
            format!("Mã PIN hiện tại không đúng — {vi}"),
            format!("The current PIN is wrong — {en}"),
        )
    } else {
        locked_out_text()
    };
    ApiError::new(StatusCode::FORBIDDEN, "wrong_pin", vi, en).on_field("pin")
}
