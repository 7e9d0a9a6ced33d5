//! The addresses the lobby gives out: a ticket's phone page (its QR code, printed and on
//! screen, and the `url` of the ticket JSON). With `[centre] public_url` they use it, so a
//! phone on 4G can open them; else, when the lobby ships to a province hub (`[uplink]`), the
//! hub's copy of the page (`{uplink.url}/c/{centre}/t/{id}`), which phones reach from
//! anywhere; else the address the request came in on (a kiosk on the server PC then prints
//! 127.0.0.1: the daemon warns at start).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use crate::domain::ids::TicketId;

/// The base address of the lobby's public pages for one request.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    /// `public_url` when configured, else `http://{Host}` of the request.
    pub fn new(public_url: Option<&str>, host: Option<&str>) -> Links {
        let base = match public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", host.unwrap_or("localhost")),
        };
        Links { base }
    }

    /// The pages of `centre` at a province hub reached at `host` (the hub's ticket answers).
    pub fn hub_centre(host: Option<&str>, centre: &str) -> Links {
        Links {
            base: format!("http://{}/c/{centre}", host.unwrap_or("localhost")),
        }
    }

    /// The base for a lobby configured with `config`: `public_url`, else the hub's pages of
    /// this centre (`[uplink]`), else the request's host.
    pub fn of(config: &crate::config::Config, host: Option<&str>) -> Links {
        match (&config.public_url, &config.uplink) {
            (None, Some(u)) => Links {
                base: format!("{}/c/{}", u.url.trim_end_matches('/'), u.centre),
            },
            _ => Links::new(config.public_url.as_deref(), host),
        }
    }

    /// `path` (with its query) at this base.
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The phone page of a ticket (what its QR code encodes).
    pub fn ticket(&self, id: &TicketId) -> String {
        format!("{}/t/{id}", self.base)
    }
}

impl FromRequestParts<AppState> for Links {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        Ok(Links::of(&app.config, host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_wins_over_the_host() {
        let id: TicketId = "01JD0000000000000000000000".parse().expect("id");
        let l = Links::new(Some("https://xephang.tinh.gov.vn/"), Some("127.0.0.1:8080"));
        assert_eq!(l.ticket(&id), format!("https://xephang.tinh.gov.vn/t/{id}"));
        let l = Links::new(None, Some("192.168.1.5:8080"));
        assert_eq!(l.ticket(&id), format!("http://192.168.1.5:8080/t/{id}"));
    }
}
