//! The API's error type: an HTTP status, a stable snake_case code and a message in Vietnamese
//! and English. `{"error": {"code": "...", "message": "..."}}`; the message is English when
//! the request says `Accept-Language: en` (chosen by the [`localize`] middleware).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::error::Refusal;
use crate::domain::DomainError;
use crate::engine::EngineError;

/// `{"error": {"code": "…", "message": "…"}}` — the body of every 4xx/5xx answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `not_found`, `rate_limited`, `unavailable`.
    pub code: String,
    /// Vietnamese, or English with `Accept-Language: en`.
    pub message: String,
    /// The request field the error is about, where there is one (admin forms show it there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorBody {
    fn new(code: &str, message: String, field: Option<&str>) -> Json<ErrorBody> {
        Json(ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                field: field.map(str::to_string),
            },
        })
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub vi: String,
    pub en: String,
    /// The request field the error is about (admin forms show it there): `error.field`.
    pub field: Option<&'static str>,
}

/// The English message, kept beside a response so the middleware can swap it in.
#[derive(Clone)]
struct English(String, StatusCode, &'static str, Option<&'static str>);

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            vi: vi.into(),
            en: en.into(),
            field: None,
        }
    }

    /// The same error about request field `field`.
    pub fn on_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn bad_request(en: impl Into<String>) -> Self {
        let en = en.into();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Yêu cầu không hợp lệ: {en}"),
            format!("Bad request: {en}"),
        )
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Mã truy cập không hợp lệ hoặc đã hết hạn; hãy đăng nhập lại.",
            "The token is invalid or has expired; log in again.",
        )
    }

    pub fn forbidden() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Bạn không có quyền thực hiện thao tác này.",
            "You are not allowed to do this.",
        )
    }

    pub fn not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Không tìm thấy.",
            "Not found.",
        )
    }

    pub fn rate_limited(retry_s: u64) -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Thử quá nhiều lần; hãy thử lại sau {retry_s} giây."),
            format!("Too many attempts; try again in {retry_s} seconds."),
        )
    }

    pub fn unavailable(detail: &str) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!(
                "Hệ thống tạm thời không ghi được dữ liệu; chưa có gì được thực hiện. ({detail})"
            ),
            format!("Storage is unavailable; nothing was done. ({detail})"),
        )
    }
}

impl ApiError {
    /// `/healthz` when the single writer is dead or hung (`heartbeat.rs`).
    pub fn writer_down(detail: &str) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!(
                "Bộ ghi dữ liệu đã ngừng hoạt động ({detail}): không thao tác nào được ghi; cần khởi động lại dịch vụ."
            ),
            format!("The writer has stopped ({detail}): nothing can be recorded; the service must be restarted."),
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let status = match e.refusal() {
            Refusal::BadRequest => StatusCode::BAD_REQUEST,
            Refusal::Forbidden => StatusCode::FORBIDDEN,
            Refusal::NotFound => StatusCode::NOT_FOUND,
            Refusal::Conflict => StatusCode::CONFLICT,
            Refusal::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let field = e.field();
        let mut err = ApiError::new(status, e.code(), e.message(false), e.message(true));
        err.field = field;
        err
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Domain(d) => d.into(),
            EngineError::Unavailable(detail) => ApiError::unavailable(&detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody::new(self.code, self.vi, self.field);
        let mut resp = (self.status, body).into_response();
        resp.extensions_mut()
            .insert(English(self.en, self.status, self.code, self.field));
        resp
    }
}

/// Whether the request asks for English.
pub fn wants_english(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("en"))
}

/// Middleware: error bodies in English for `Accept-Language: en`.
pub async fn localize(req: Request, next: Next) -> Response {
    let english = wants_english(req.headers());
    let resp = next.run(req).await;
    if !english {
        return resp;
    }
    match resp.extensions().get::<English>().cloned() {
        Some(English(en, status, code, field)) => {
            (status, ErrorBody::new(code, en, field)).into_response()
        }
        None => resp,
    }
}

/// A JSON body whose rejections use the API's error format (400, or 413 past 16 KiB).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Nội dung gửi lên quá lớn (tối đa 16 KiB).",
            "The request body is too large (16 KiB at most).",
        );
    }
    ApiError::bad_request(r.body_text())
}

pub type ApiResult<T> = Result<T, ApiError>;
