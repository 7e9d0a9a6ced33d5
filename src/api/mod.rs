//! The HTTP and WebSocket face of the daemon (axum). Handlers authenticate, turn requests into
//! engine commands or read the read model, and answer in the contract's JSON (docs/API.md).
//!
//! One file per resource, each declaring its routes once (`pub fn routes() ->
//! OpenApiRouter<AppState>` with utoipa-axum's `routes!`): the router and the OpenAPI document
//! are built from the same lists here, so the document cannot miss a route. Route files
//! depend on the shared modules (app, auth, command, error, links, views, openapi…), never on
//! `mod.rs`, and never in a circle (tests/api_layering.rs).

pub mod admin;
pub mod admin_devices;
pub mod admin_staff;
pub mod app;
pub mod auth;
pub mod board;
pub mod bookings;
pub mod callbacks;
pub mod command;
pub mod counters;
pub mod day_data;
pub mod devices;
pub mod directory;
pub mod error;
pub mod limits;
pub mod links;
pub mod meta;
pub mod openapi;
pub mod pages;
pub mod pin_attempt;
pub mod pin_checks;
pub mod print;
pub mod remote;
pub mod report_range;
pub mod reports;
pub mod revocation;
pub mod secret;
pub mod session;
pub mod ticket_feed;
pub mod tickets;
pub mod uplink;
pub mod views;
pub mod voice;
pub mod ws;

pub use app::{App, AppState, MAX_BODY};

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{middleware, Extension, Router};
use utoipa_axum::router::OpenApiRouter;

/// Every documented route: `/api/v1/…`, `/healthz` and `/metrics`. A new route file adds one
/// `.merge(file::routes())` line to the `/api/v1` list below.
pub fn documented() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(board::routes())
        .merge(session::routes())
        .merge(tickets::routes())
        .merge(counters::routes())
        .merge(bookings::routes())
        .merge(remote::routes())
        .merge(reports::routes())
        .merge(callbacks::routes())
        .merge(report_range::routes())
        .merge(print::routes())
        .merge(devices::routes())
        .merge(voice::routes())
        .merge(uplink::routes())
        .merge(admin::routes())
        .merge(admin_staff::routes())
        .merge(admin_devices::routes())
        .merge(meta::api_routes())
        .fallback(meta::api_not_found);
    OpenApiRouter::with_openapi(openapi::base())
        .nest("/api/v1", api)
        .merge(meta::routes())
}

/// The OpenAPI document of [`documented`], as `GET /api/v1/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    openapi::finish(documented().split_for_parts().1)
}

pub fn router(app: AppState) -> Router {
    let limiter = limits::Limiter::new(&app.config.limits);
    let (routes, doc) = documented().split_for_parts();
    let doc = openapi::Document::new(&openapi::finish(doc));
    routes
        .route("/ws", get(ws::upgrade))
        .merge(pages::routes())
        .layer(Extension(doc))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(limiter, limits::guard))
        .layer(middleware::from_fn(error::localize))
        .with_state(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` of `v`, recursively.
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_string()),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    /// The document is the router's: every operation has a success answer, every error
    /// answer the error body, every schema it names is in it, and the routes are all there.
    #[test]
    fn the_document_is_complete_and_consistent() {
        let json = document().to_json().expect("serializes");
        let doc: serde_json::Value = serde_json::from_str(&json).expect("parses");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
        let paths = doc["paths"].as_object().expect("paths");
        let mut operations = 0;
        for (path, item) in paths {
            assert!(
                path.starts_with("/api/v1/") || path == "/healthz" || path == "/metrics",
                "{path}"
            );
            for (method, op) in item.as_object().expect("path item") {
                operations += 1;
                let responses = op["responses"].as_object().expect("responses");
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{method} {path}"
                );
                for (status, r) in responses {
                    if !status.starts_with('2') {
                        let schema = &r["content"]["application/json"]["schema"]["$ref"];
                        assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path}");
                    }
                }
            }
        }
        // 49 operations when routes were declared twice (router + document): none lost.
        assert!(operations >= 49, "{operations} operations");
        for (path, method) in [
            ("/api/v1/tickets", "post"),
            ("/api/v1/tickets/{id}", "delete"),
            ("/api/v1/counters/{n}/next", "post"),
            ("/api/v1/bookings", "get"),
            ("/api/v1/bookings", "post"),
            ("/api/v1/voice/{lang}/{clip}", "put"),
            ("/api/v1/openapi.json", "get"),
            ("/healthz", "get"),
        ] {
            assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        for r in all {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{r} is not in the document"
            );
        }
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }
}
