//! Devices on the admin page: list, add (the daemon makes a random token, shown once with
//! the screen's URL), rename, revoke. Only the token's SHA-256 is journalled. A revoked
//! device's token stops working at the next request and its open sockets close within a
//! second (`api::ws` watches the sign-in directory).

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::admin::{apply, field_error};
use super::app::AppState;
use super::auth::Principal;
use super::directory::token_hash;
use super::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::config::DeviceRole;
use crate::domain::admin::AdminChange;
use crate::domain::admin_roster::DeviceEntry;
use crate::domain::ids::CounterId;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(rename, revoke))
}

/// A device as the admin page lists it (never its token).
#[derive(Serialize, ToSchema)]
pub struct DeviceRow {
    pub name: String,
    /// `display`, `kiosk`, `rating` or `supervisor`.
    pub role: String,
    pub counter: Option<u32>,
    /// `config` or `admin`.
    pub source: String,
    /// A socket of it is open now.
    pub connected: bool,
}

fn row(app: &AppState, d: &DeviceEntry) -> DeviceRow {
    let connected = app
        .devices
        .list()
        .iter()
        .any(|v| v.name == d.name && v.connected);
    DeviceRow {
        name: d.name.clone(),
        role: d.role.as_str().to_string(),
        counter: d.counter.map(|c| c.0),
        source: d.source.as_str().to_string(),
        connected,
    }
}

#[utoipa::path(
    get,
    path = "/admin/devices",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<DeviceRow>),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn list(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Vec<DeviceRow>>> {
    who.require_supervisor()?;
    app.sync_directory();
    let dir = app.keys.directory.get();
    let rows = dir
        .roster
        .devices
        .iter()
        .filter(|d| !d.revoked)
        .map(|d| row(&app, d))
        .collect();
    Ok(Json(rows))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    name: String,
    /// `display`, `kiosk`, `rating` or `supervisor`.
    role: String,
    /// The counter of a rating tablet (required) or of a counter display (a `display` with
    /// a counter opens `/display/{n}`; without one, the lobby board).
    counter: Option<u32>,
}

/// A new device's token (shown once) and the URL that opens its screen with it.
#[derive(Serialize, ToSchema)]
pub struct NewDeviceAnswer {
    pub name: String,
    pub role: String,
    pub token: String,
    pub url: String,
}

#[utoipa::path(
    post,
    path = "/admin/devices",
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewDevice,
    responses(
        (status = 201, body = NewDeviceAnswer),
        (status = 400, description = "`invalid_field` (`field`: `name`, `role`, `counter`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 409, description = "`duplicate` (`field`: `name`)", body = ErrorBody),
        (status = 422, description = "`unknown_counter` (`field`: `counter`)", body = ErrorBody),
    ),
)]
pub async fn add(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewDevice>,
) -> ApiResult<(StatusCode, Json<NewDeviceAnswer>)> {
    who.require_supervisor()?;
    let role = match body.role.as_str() {
        "display" => DeviceRole::Display,
        "kiosk" => DeviceRole::Kiosk,
        "rating" => DeviceRole::Rating,
        "supervisor" => DeviceRole::Supervisor,
        _ => {
            return Err(field_error(
                "role",
                "Loại thiết bị phải là display, kiosk, rating hoặc supervisor.",
                "The role must be display, kiosk, rating or supervisor.",
            ))
        }
    };
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let new_token = hex::encode(bytes);
    let name = body.name.trim().to_string();
    let change = AdminChange::DeviceAdded {
        name: name.clone(),
        role,
        counter: body.counter.map(CounterId),
        token_hash: token_hash(&new_token),
    };
    apply(&app, &who, token.as_deref(), change).await?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let links = super::links::Links::new(app.config.public_url.as_deref(), host);
    let first = app.spec().counters.first().map_or(1, |c| c.id.0);
    let page = match role {
        DeviceRole::Display => match body.counter {
            // A counter display: the small screen above that counter.
            Some(n) => format!("/display/{n}"),
            None => "/board".to_string(),
        },
        DeviceRole::Kiosk => "/kiosk".to_string(),
        DeviceRole::Rating => format!("/rating/{}", body.counter.unwrap_or(first)),
        DeviceRole::Supervisor => "/supervisor".to_string(),
    };
    Ok((
        StatusCode::CREATED,
        Json(NewDeviceAnswer {
            url: links.page(&format!("{page}?token={new_token}")),
            name,
            role: role.as_str().to_string(),
            token: new_token,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    name: String,
}

fn device_row(app: &AppState, name: &str) -> ApiResult<Json<DeviceRow>> {
    let dir = app.keys.directory.get();
    dir.roster
        .device(name)
        .map(|d| Json(row(app, d)))
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(
    patch,
    path = "/admin/devices/{name}",
    tag = "admin",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "Device name")),
    request_body = Rename,
    responses(
        (status = 200, body = DeviceRow),
        (status = 400, description = "`invalid_field` (`field`: `name`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_device`", body = ErrorBody),
        (status = 409, description = "`duplicate` (`field`: `name`)", body = ErrorBody),
    ),
)]
pub async fn rename(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    UrlPath(name): UrlPath<String>,
    ApiJson(body): ApiJson<Rename>,
) -> ApiResult<Json<DeviceRow>> {
    who.require_supervisor()?;
    let to = body.name.trim().to_string();
    let change = AdminChange::DeviceRenamed {
        name,
        to: to.clone(),
    };
    apply(&app, &who, token.as_deref(), change).await?;
    device_row(&app, &to)
}

#[utoipa::path(
    delete,
    path = "/admin/devices/{name}",
    tag = "admin",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "Device name")),
    responses(
        (status = 204, description = "Revoked: its token no longer works, its sockets close"),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
        (status = 404, description = "`unknown_device`", body = ErrorBody),
        (status = 409, description = "`last_supervisor`: the last supervisor device with no enabled supervisor staff", body = ErrorBody),
    ),
)]
pub async fn revoke(
    State(app): State<AppState>,
    super::revocation::Authed { who, token }: super::revocation::Authed,
    UrlPath(name): UrlPath<String>,
) -> ApiResult<StatusCode> {
    who.require_supervisor()?;
    apply(
        &app,
        &who,
        token.as_deref(),
        AdminChange::DeviceRevoked { name },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
