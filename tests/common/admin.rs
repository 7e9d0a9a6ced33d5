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
