//! The voice studio's HTTP face (issue 17), all for supervisors:
//!
//! - `GET /api/v1/voice`: every clip of every language, with the words to read and its state;
//! - `PUT /api/v1/voice/{lang}/{clip}`: a recording (the body: WebM/Opus, Ogg/Opus or WAV, as
//!   the browser's `MediaRecorder` gives it, up to 8 MiB) becomes that clip; answers the clip's
//!   state and what processing did. Bad audio gets 400 with `not_audio`, `audio_too_long`,
//!   `audio_silent`, `audio_too_short` or `audio_clipped`, and nothing changes;
//! - `GET /api/v1/voice/{lang}/{clip}?source=recorded|builtin`: the clip's WAV;
//! - `DELETE /api/v1/voice/{lang}/{clip}`: back to the built-in clip;
//! - `GET /api/v1/voice/preview?number=&counter=&lang=&source=current|recorded`: the whole
//!   announcement of a call as `audio/wav`;
//! - `GET /api/v1/voice/pack` / `PUT /api/v1/voice/pack`: export / import a voice pack (tar).
//!
//! Processing and disk writes run on blocking threads.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::error::{ApiError, ApiResult, ErrorBody};
use crate::audio::words::Lang;
use crate::voice::process::Report;
use crate::voice::studio::{ClipState, Imported, Listing, PreviewSource};
use crate::voice::{VoiceError, MAX_PACK, MAX_UPLOAD};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(preview))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(export, import))
                .layer(DefaultBodyLimit::max(MAX_PACK)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(audio, record, remove))
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
}

/// A binary upload (a recording, a voice pack).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct AudioBody(pub Vec<u8>);

/// `PUT /api/v1/voice/{lang}/{clip}`: the clip's new state and what processing did.
#[derive(Serialize, ToSchema)]
pub struct VoiceRecorded {
    pub clip: ClipState,
    pub report: Report,
}

impl From<VoiceError> for ApiError {
    fn from(e: VoiceError) -> Self {
        let status = match &e {
            VoiceError::UnknownClip { .. } => StatusCode::NOT_FOUND,
            VoiceError::NothingRecorded => StatusCode::CONFLICT,
            VoiceError::Io { .. } => {
                tracing::error!("voice: {e}");
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, e.code(), e.vietnamese(), e.english())
    }
}

/// Runs blocking work (audio processing, disk writes) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, VoiceError> + Send + 'static,
) -> ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::unavailable(&format!("voice task failed: {e}"))),
    }
}

/// A body, or 413 with the limit in the message.
fn body(b: Result<Bytes, BytesRejection>, max: usize) -> ApiResult<Bytes> {
    b.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let mib = max >> 20;
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("Tệp gửi lên quá lớn (tối đa {mib} MiB)."),
                format!("The upload is too large ({mib} MiB at most)."),
            )
        } else {
            ApiError::bad_request(r.body_text())
        }
    })
}

fn wav(bytes: Vec<u8>, file: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "audio/wav".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Every clip the announcements need, per language, with the words to read and its state.
#[utoipa::path(get, path = "/voice", tag = "voice",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Listing),
        (status = 403, description = "`forbidden`", body = ErrorBody),
    ))]
pub async fn list(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Listing>> {
    who.require_supervisor()?;
    Ok(Json(app.voice.list()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClipPath {
    /// `vi` or `en`.
    lang: String,
    /// The clip's name, e.g. `mot`, `den_quay_so`, `letter_a`.
    clip: String,
}

/// A recording becomes the clip: decoded, trimmed, brought to the built-in clips' loudness.
#[utoipa::path(put, path = "/voice/{lang}/{clip}", tag = "voice",
    security(("bearer" = [])),
    params(ClipPath),
    request_body(content = AudioBody, content_type = "application/octet-stream",
        description = "The recording: WebM/Opus, Ogg/Opus or WAV (any Content-Type)"),
    responses(
        (status = 200, body = VoiceRecorded),
        (status = 400, description = "`not_audio`, `audio_too_long`, `audio_silent`, `audio_too_short`, `audio_clipped`: nothing changed", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`unknown_clip`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: a recording over 8 MiB", body = ErrorBody),
        (status = 503, description = "`unavailable`: the clip cannot be written; nothing changed", body = ErrorBody),
    ))]
pub async fn record(
    State(app): State<AppState>,
    who: Principal,
    Path(p): Path<ClipPath>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<VoiceRecorded>> {
    who.require_supervisor()?;
    let bytes = body(b, MAX_UPLOAD)?;
    let studio = app.voice.clone();
    let who_label = who.label();
    let (state, report) = blocking(move || studio.record(&p.lang, &p.clip, &bytes)).await?;
    tracing::info!(by = %who_label, clip = %format!("{}/{}", state.lang, state.clip), "voice clip saved");
    Ok(Json(VoiceRecorded {
        clip: state,
        report,
    }))
}

/// Back to the built-in clip.
#[utoipa::path(delete, path = "/voice/{lang}/{clip}", tag = "voice",
    security(("bearer" = [])),
    params(ClipPath),
    responses(
        (status = 200, body = ClipState),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`unknown_clip`", body = ErrorBody),
    ))]
pub async fn remove(
    State(app): State<AppState>,
    who: Principal,
    Path(p): Path<ClipPath>,
) -> ApiResult<Json<ClipState>> {
    who.require_supervisor()?;
    let studio = app.voice.clone();
    let state = blocking(move || studio.delete(&p.lang, &p.clip)).await?;
    tracing::info!(by = %who.label(), clip = %format!("{}/{}", state.lang, state.clip), "voice clip deleted");
    Ok(Json(state))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AudioQuery {
    /// `recorded` (default) or `builtin`.
    source: Option<String>,
}

/// The clip's WAV: the recorded take, or the built-in clip.
#[utoipa::path(get, path = "/voice/{lang}/{clip}", tag = "voice",
    security(("bearer" = [])),
    params(ClipPath, AudioQuery),
    responses(
        (status = 200, description = "The clip", content_type = "audio/wav"),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`unknown_clip`, or `not_found`: nothing recorded (or no built-in clip)", body = ErrorBody),
    ))]
pub async fn audio(
    State(app): State<AppState>,
    who: Principal,
    Path(p): Path<ClipPath>,
    Query(q): Query<AudioQuery>,
) -> ApiResult<Response> {
    who.require_supervisor()?;
    let builtin = match q.source.as_deref() {
        None | Some("recorded") => false,
        Some("builtin") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "source {other:?}: recorded or builtin"
            )))
        }
    };
    match app.voice.audio(&p.lang, &p.clip, builtin)? {
        Some(bytes) => Ok(wav(bytes.to_vec(), &format!("{}.wav", p.clip))),
        None => Err(ApiError::not_found()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PreviewQuery {
    /// The ticket number as printed, e.g. `1005` or `A005`.
    #[param(pattern = "^[A-Za-z0-9]{1,8}$")]
    number: String,
    /// The counter (default 1).
    #[param(maximum = 99999)]
    counter: Option<u32>,
    /// `vi` or `en`; default: the configured languages.
    lang: Option<String>,
    /// `current` (default: as announcements are now) or `recorded` (every recorded clip).
    source: Option<String>,
}

/// The whole announcement of a call, as a WAV file.
#[utoipa::path(get, path = "/voice/preview", tag = "voice",
    security(("bearer" = [])),
    params(PreviewQuery),
    responses(
        (status = 200, description = "The announcement; header `X-Announcement`: its words, percent-encoded UTF-8, one line per language", content_type = "audio/wav"),
        (status = 403, description = "`forbidden`", body = ErrorBody),
    ))]
pub async fn preview(
    State(app): State<AppState>,
    who: Principal,
    Query(q): Query<PreviewQuery>,
) -> ApiResult<Response> {
    who.require_supervisor()?;
    let number = q.number.trim().to_ascii_uppercase();
    let ok = !number.is_empty()
        && number.len() <= 8
        && number.bytes().all(|b| b.is_ascii_alphanumeric());
    if !ok {
        return Err(ApiError::bad_request(
            "number: a ticket number such as 1005 or A005",
        ));
    }
    let counter = q.counter.unwrap_or(1);
    if counter > 99_999 {
        return Err(ApiError::bad_request("counter: at most 99999"));
    }
    let lang = match q.lang.as_deref() {
        None | Some("") => None,
        Some(l) => Some(
            Lang::parse(l).ok_or_else(|| ApiError::bad_request(format!("lang {l:?}: vi or en")))?,
        ),
    };
    let source = match q.source.as_deref() {
        None | Some("current") => PreviewSource::Current,
        Some("recorded") => PreviewSource::Recorded,
        Some(s) => {
            return Err(ApiError::bad_request(format!(
                "source {s:?}: current or recorded"
            )))
        }
    };
    let studio = app.voice.clone();
    let file = format!("{number}-{counter}.wav");
    let (bytes, text) = blocking(move || studio.preview(&number, counter, lang, source)).await?;
    let mut resp = wav(bytes, &file);
    if let Ok(v) = axum::http::HeaderValue::from_str(&percent_encode(&text.join("\n"))) {
        resp.headers_mut().insert("x-announcement", v);
    }
    Ok(resp)
}

/// UTF-8 text as a header value: every byte outside `A-Za-z0-9-_.~ ` as `%XX`
/// (`decodeURIComponent` reverses it).
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~ ,".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every recorded clip in one voice pack (a tar archive with a manifest).
#[utoipa::path(get, path = "/voice/pack", tag = "voice",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pack", content_type = "application/x-tar"),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 409, description = "`nothing_recorded`", body = ErrorBody),
    ))]
pub async fn export(State(app): State<AppState>, who: Principal) -> ApiResult<Response> {
    who.require_supervisor()?;
    let studio = app.voice.clone();
    let now = app.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let day = app.now().format("%Y-%m-%d").to_string();
    let bytes = blocking(move || studio.export(Some(now))).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"xephang-voice-{day}.tar\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Loads a voice pack: each language it holds is replaced by its clips.
#[utoipa::path(put, path = "/voice/pack", tag = "voice",
    security(("bearer" = [])),
    request_body(content = AudioBody, content_type = "application/octet-stream",
        description = "The pack (tar), as `GET /api/v1/voice/pack` or `xephang voice export` gives it"),
    responses(
        (status = 200, body = Imported),
        (status = 400, description = "`bad_pack`: nothing changed", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: a pack over 64 MiB", body = ErrorBody),
        (status = 503, description = "`unavailable`: the clips cannot be written", body = ErrorBody),
    ))]
pub async fn import(
    State(app): State<AppState>,
    who: Principal,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Imported>> {
    who.require_supervisor()?;
    let bytes = body(b, MAX_PACK)?;
    let studio = app.voice.clone();
    let done = blocking(move || studio.import(&bytes)).await?;
    tracing::info!(by = %who.label(), clips = done.clips, "voice pack imported");
    Ok(Json(done))
}
