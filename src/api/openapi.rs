//! The OpenAPI 3.1 document of the HTTP API, served at `GET /api/v1/openapi.json` (issue 7).
//!
//! The document is built from the router itself (mod.rs: every route file declares its routes
//! once, with utoipa-axum's `routes!`, from the handlers' `#[utoipa::path]`; the answer
//! schemas are the types the handlers return). This module only frames it: [`base`] (title,
//! version) and [`finish`], which adds the bearer security scheme and [`CommonErrors`], the
//! errors any request may get: 400 (a path, query or body that does not parse), 401 (a bad
//! token), 408 (`request_timeout`), 413 (a body over 16 KiB) and 503 (`unavailable`, storage
//! down) for writes. Every error has the body `ErrorBody` (error.rs). A leaf: it imports no
//! route file.

use std::sync::Arc;

use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Doc, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;

/// The frame of the document; the router adds the paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "xephang API",
        version = "1",
        description = "Lobby queue of a one-stop public service centre (docs/API.md)."
    ),
    components(schemas(ErrorBody))
)]
struct Frame;

/// The document before any route is added.
pub fn base() -> Doc {
    Frame::openapi()
}

/// The document once every route is in: the bearer scheme and the common errors added.
pub fn finish(mut doc: Doc) -> Doc {
    CommonErrors.modify(&mut doc);
    doc
}

/// The finished document as JSON, shared by every request for it.
#[derive(Clone)]
pub struct Document(Arc<str>);

impl Document {
    pub fn new(doc: &Doc) -> Document {
        Document(Arc::from(
            doc.to_json().unwrap_or_else(|_| "{}".to_string()),
        ))
    }

    pub fn json(&self) -> String {
        self.0.to_string()
    }
}

/// Adds the bearer scheme and the errors every operation may answer.
pub struct CommonErrors;

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
        .into()
}

fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| error_response(description));
}

impl Modify for CommonErrors {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        for item in doc.paths.paths.values_mut() {
            let ops: [(HttpMethod, &mut Option<Operation>); 5] = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                if has_params || has_body {
                    add(
                        op,
                        "400",
                        "`bad_request`: a path, query or body that does not parse",
                    );
                }
                if op.security.is_some() {
                    add(
                        op,
                        "401",
                        "`unauthorized`: a token that is not valid (or none where one is needed)",
                    );
                }
                add(op, "408", "`request_timeout`");
                if has_body {
                    add(op, "413", "`payload_too_large`: a body over 16 KiB");
                }
                if method != HttpMethod::Get {
                    add(
                        op,
                        "503",
                        "`unavailable`: the journal cannot be written; nothing was done",
                    );
                }
            }
        }
    }
}
