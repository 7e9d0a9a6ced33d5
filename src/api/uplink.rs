//! `GET /api/v1/uplink` (supervisor): the state of the uplink to the province hub
//! (src/uplink): connected, how many events the hub does not hold yet, the last error.

use axum::extract::State;
use axum::Json;

use super::app::AppState;
use super::auth::Principal;
use super::error::{ApiResult, ErrorBody};
use crate::uplink::status::UplinkView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(uplink))
}

#[utoipa::path(
    get,
    path = "/uplink",
    tag = "meta",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{\"configured\":false}` or the uplink's state", body = UplinkView),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn uplink(State(app): State<AppState>, who: Principal) -> ApiResult<Json<UplinkView>> {
    who.require_supervisor()?;
    Ok(Json(app.metrics.uplink.view()))
}
