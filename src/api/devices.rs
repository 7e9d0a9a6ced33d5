//! `GET /api/v1/devices` (supervisor): every configured device with its presence — connected
//! or not, since when, last seen, from which address, its open pages and, for boards, whether
//! their sound plays or is blocked by the browser (`src/devices.rs`). Also the extractor that
//! ties a WebSocket to its device ([`DeviceSocket`], used by `ws.rs`).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::Json;

use super::app::AppState;
use super::auth::{token_of, Principal};
use super::error::{ApiResult, ErrorBody};
use crate::devices::{DeviceView, Link};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Every configured device, in config order.
#[utoipa::path(
    get,
    path = "/devices",
    tag = "supervisor",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<DeviceView>),
        (status = 403, description = "`forbidden`", body = ErrorBody),
    ),
)]
pub async fn list(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Vec<DeviceView>>> {
    who.require_supervisor()?;
    Ok(Json(app.devices.list()))
}

/// The configured device a WebSocket request comes from (by its token), with the client's
/// address; empty for everyone else.
pub struct DeviceSocket(Option<(usize, IpAddr)>);

impl FromRequestParts<AppState> for DeviceSocket {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        let device = token_of(parts).and_then(|t| app.devices.device_of(&t));
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(DeviceSocket(device.zip(ip)))
    }
}

impl DeviceSocket {
    /// Counts the socket as the device's presence until the returned link drops.
    pub fn link(&self, app: &AppState) -> Option<Link> {
        let (device, ip) = self.0?;
        app.devices.connect(device, ip)
    }
}
