//! Helpers of the admin page's tests (tests/admin*.rs).

use super::*;

/// The demo centre on a Monday morning (every service issues).
pub fn start_admin_demo() -> Daemon {
    let toml = std::fs::read_to_string(default_config()).expect("demo config");
    Daemon::start_with_env(&toml, &[(CLOCK, &clock_at("2031-05-05T09:00:00+07:00"))])
}

/// `PATCH path` with a JSON body.
pub async fn patch(api: &Api, path: &str, token: Option<&str>, body: Value) -> Resp {
    api.request(reqwest::Method::PATCH, path, token, Body::Json(body), &[])
        .await
}

/// `PATCH /api/v1/admin/services/{id}` as the supervisor.
pub async fn patch_service(api: &Api, id: &str, body: Value) -> Resp {
    patch(
        api,
        &format!("/api/v1/admin/services/{id}"),
        Some(SUPERVISOR),
        body,
    )
    .await
}

/// The element of the JSON array `list` whose `id` is `id`.
pub fn by_id(list: &Value, id: &str) -> Value {
    list.as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == id).cloned())
        .unwrap_or_else(|| panic!("no {id} in {list}"))
}

/// `POST /api/v1/admin/devices` as the supervisor: the 201 answer (name, role, token, url).
pub async fn add_device(api: &Api, body: Value) -> Value {
    let r = api
        .post("/api/v1/admin/devices", Some(SUPERVISOR), body)
        .await;
    r.expect(201).clone()
}
