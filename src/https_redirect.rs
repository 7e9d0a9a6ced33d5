//! The optional plain-HTTP listener of a daemon that serves TLS (`[server] redirect_http`):
//! every request, whatever its method and path, is answered `308 Permanent Redirect` to the
//! same host, path and query on https, so a TV or a bookmark typed as `http://…` lands on the
//! encrypted address. Nothing else is served on it: no API, no WebSocket, no token is ever
//! accepted in the clear. Reusable by the hub like `tls.rs`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// The redirecting router; `https_port` is the port of the TLS listener.
pub fn router(https_port: u16) -> Router {
    Router::new().fallback(redirect).with_state(https_port)
}

/// The host of a `Host` header without its port; None when it is not a plausible host name
/// or address (a redirect must not carry anything else into the Location header).
fn host_only(host: &str) -> Option<&str> {
    let host = host.trim();
    let name = if host.starts_with('[') {
        &host[..=host.find(']')?]
    } else {
        host.split(':').next()?
    };
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then_some(name)
}

/// Where a plain-HTTP request to `host` and `uri` goes on https.
pub fn location(host: &str, uri: &Uri, https_port: u16) -> Option<String> {
    let host = host_only(host)?;
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    Some(format!("https://{host}{port}{path}"))
}

async fn redirect(State(https_port): State<u16>, headers: HeaderMap, uri: Uri) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    match location(host, &uri, https_port) {
        Some(to) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)]).into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            "Dùng https / Use https (no valid Host header)\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_keep_host_path_and_query_and_drop_the_http_port() {
        let uri: Uri = "/board?token=abc&audio=1".parse().expect("uri");
        assert_eq!(
            location("tv.local:80", &uri, 443).as_deref(),
            Some("https://tv.local/board?token=abc&audio=1")
        );
        assert_eq!(
            location("192.168.1.5:8080", &uri, 8443).as_deref(),
            Some("https://192.168.1.5:8443/board?token=abc&audio=1")
        );
        assert_eq!(
            location("[::1]:80", &"/".parse().expect("uri"), 443).as_deref(),
            Some("https://[::1]/")
        );
        assert_eq!(location("evil.vn\r\nX: y", &uri, 443), None);
        assert_eq!(location("", &uri, 443), None);
        assert_eq!(location("a/b", &uri, 443), None);
    }
}
