//! The screens (static pages from `displays/`, embedded in the binary or served from a
//! centre's own folder with `--displays DIR`), voice clips and clerk photos.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use super::app::AppState;

#[derive(RustEmbed)]
#[folder = "displays/"]
struct Displays;

/// Content-Security-Policy of every page: nothing from any other host.
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; font-src 'self'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|s| page(s, "index.html")))
        .route("/board", get(|s| page(s, "board.html")))
        .route("/display/{n}", get(|s| page(s, "display.html")))
        .route("/clerk", get(|s| page(s, "clerk.html")))
        .route("/kiosk", get(|s| page(s, "kiosk.html")))
        .route("/rating/{n}", get(|s| page(s, "rating.html")))
        .route("/supervisor", get(|s| page(s, "supervisor.html")))
        .route("/voice", get(|s| page(s, "voice.html")))
        .route("/admin", get(|s| page(s, "admin.html")))
        .route("/book", get(|s| page(s, "book.html")))
        .route("/t/{id}", get(|s| page(s, "ticket.html")))
        .route("/assets/{*path}", get(asset))
        .route("/sounds/{*path}", get(sound))
        .route("/photos/{staff}", get(photo))
}

/// A relative path with no `..`, root or prefix components (no way out of the folder).
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| p.to_path_buf())
}

/// A page or asset: embedded, or read from `--displays DIR` through Tokio's blocking pool
/// (never on an async worker: a slow or hung disk must not stall every request).
async fn load(app: &AppState, path: &str) -> Option<Cow<'static, [u8]>> {
    let rel = safe_relative(path)?;
    match &app.displays_dir {
        Some(dir) => tokio::fs::read(dir.join(rel)).await.ok().map(Cow::Owned),
        None => Displays::get(path).map(|f| f.data),
    }
}

/// A file of the embedded screens (the province hub serves them too).
pub fn embedded(path: &str) -> Option<Cow<'static, [u8]>> {
    safe_relative(path)?;
    Displays::get(path).map(|f| f.data)
}

/// A screen's file with its type and the screens' security headers.
pub fn file_response(path: &str, body: Cow<'static, [u8]>) -> Response {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut resp = (
        [(header::CONTENT_TYPE, mime.as_ref().to_string())],
        body.into_owned(),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Không tìm thấy / Not found").into_response()
}

async fn page(State(app): State<AppState>, name: &'static str) -> Response {
    match load(&app, name).await {
        Some(body) => file_response(name, body),
        None => not_found(),
    }
}

async fn asset(State(app): State<AppState>, UrlPath(path): UrlPath<String>) -> Response {
    match load(&app, &path).await {
        Some(body) => file_response(&path, body),
        None => not_found(),
    }
}

/// A clip as played now (a recorded one in use, else the built-in one). Its version is its
/// ETag; a URL with the current version (`?v=…`, as in playlists) may be cached for good, any
/// other is revalidated, so that a board never keeps a clip that was re-recorded or deleted.
async fn sound(
    State(app): State<AppState>,
    UrlPath(path): UrlPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if safe_relative(&path).is_none() {
        return not_found();
    }
    let Some(clip) = app.announcer.as_ref().and_then(|a| a.current(&path)) else {
        return not_found();
    };
    let etag = format!("\"{}\"", clip.version);
    // Versions are hex digits: no decoding needed; anything else in the query is ignored.
    let v = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("v="));
    let cache = if v == Some(clip.version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file_response(&path, Cow::Owned(clip.bytes.to_vec()))
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

async fn photo(State(app): State<AppState>, UrlPath(staff): UrlPath<String>) -> Response {
    app.sync_directory();
    let entry = app
        .keys
        .directory
        .get()
        .staff(&crate::domain::ids::StaffId(staff))
        .cloned();
    // A photo uploaded on the admin page (`<data-dir>/photos/`) wins over the file's.
    if let Some(up) = entry.as_ref().and_then(|s| s.uploaded_photo.as_deref()) {
        if let Some(rel) = safe_relative(up) {
            return match tokio::fs::read(app.data_dir.join("photos").join(&rel)).await {
                Ok(bytes) => file_response(&rel.to_string_lossy(), Cow::Owned(bytes)),
                Err(_) => not_found(),
            };
        }
    }
    let Some(dir) = &app.config.photos_dir else {
        return not_found();
    };
    let file = entry.and_then(|s| s.photo);
    match file.as_deref().and_then(safe_relative) {
        Some(rel) => match tokio::fs::read(dir.join(&rel)).await {
            Ok(bytes) => file_response(&rel.to_string_lossy(), Cow::Owned(bytes)),
            Err(_) => not_found(),
        },
        None => not_found(),
    }
}
