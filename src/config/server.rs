//! `[server]`: how the daemon listens beyond `--bind` — TLS (`tls_cert`, `tls_key`, PEM files
//! re-read on SIGHUP, see `src/tls.rs`) and an optional plain-HTTP listener that only
//! redirects to https (`redirect_http`). A file without the table serves plain HTTP, as
//! before. The files themselves are read at start (a missing or bad one stops the daemon
//! naming it), not here, so `check-config` works on another machine.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::fields::Ctx;
use super::raw::S;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub tls_cert: Option<S<String>>,
    pub tls_key: Option<S<String>>,
    pub redirect_http: Option<S<String>>,
}

/// The PEM files of the daemon's certificate (chain, leaf first) and private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The validated `[server]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerSettings {
    /// TLS on the `--bind` listener; None: plain HTTP.
    pub tls: Option<TlsFiles>,
    /// A plain-HTTP listener that answers every request with a redirect to https.
    pub redirect_http: Option<SocketAddr>,
}

pub(super) fn server(
    raw: Option<&S<RawServer>>,
    ctx: &mut Ctx<'_>,
    base: Option<&Path>,
) -> ServerSettings {
    let Some(raw) = raw else {
        return ServerSettings::default();
    };
    let r = raw.get_ref();
    let path = |ctx: &mut Ctx<'_>, v: &Option<S<String>>, field: &str| {
        ctx.optional(v, field).map(|p| {
            let p = PathBuf::from(p);
            match base {
                Some(b) if p.is_relative() => b.join(p),
                _ => p,
            }
        })
    };
    let cert = path(ctx, &r.tls_cert, "server.tls_cert");
    let key = path(ctx, &r.tls_key, "server.tls_key");
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        (Some(_), None) => {
            ctx.report_at_key(
                "server.tls_cert",
                "tls_key (the PEM private key) is required with tls_cert",
            );
            None
        }
        (None, Some(_)) => {
            ctx.report_at_key(
                "server.tls_key",
                "tls_cert (the PEM certificate chain) is required with tls_key",
            );
            None
        }
    };
    let redirect_http =
        r.redirect_http
            .as_ref()
            .and_then(|v| match v.get_ref().trim().parse::<SocketAddr>() {
                Ok(addr) if tls.is_some() => Some(addr),
                Ok(_) => {
                    ctx.report(
                        Some(v.span()),
                        "server.redirect_http",
                        "redirects to https need TLS: set tls_cert and tls_key",
                    );
                    None
                }
                Err(_) => {
                    ctx.report(
                        Some(v.span()),
                        "server.redirect_http",
                        "must be an address and port such as \"0.0.0.0:80\"",
                    );
                    None
                }
            });
    ServerSettings { tls, redirect_http }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_problem, BASE};
    use super::*;

    #[test]
    fn no_table_is_plain_http_and_relative_paths_follow_the_file() {
        let c = super::super::parse(BASE, "centre.toml").expect("base parses");
        assert_eq!(c.server, ServerSettings::default());
        let text = format!(
            "{BASE}\n[server]\ntls_cert = \"tls/cert.pem\"\ntls_key = \"/etc/k.pem\"\nredirect_http = \"0.0.0.0:80\"\n"
        );
        let c = super::super::parse(&text, "/etc/xephang/xephang.toml").expect("parses");
        assert_eq!(
            c.server.tls,
            Some(TlsFiles {
                cert: PathBuf::from("/etc/xephang/tls/cert.pem"),
                key: PathBuf::from("/etc/k.pem"),
            })
        );
        assert_eq!(
            c.server.redirect_http,
            Some("0.0.0.0:80".parse().expect("addr"))
        );
    }

    #[test]
    fn half_a_pair_a_bad_address_or_a_redirect_without_tls_are_errors() {
        let half = format!("{BASE}\n[server]\ntls_cert = \"c.pem\"\n");
        assert_problem(&half, "tls_cert", "server.tls_cert", "tls_key");
        let bad = format!(
            "{BASE}\n[server]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\nredirect_http = \"port 80\"\n"
        );
        assert_problem(&bad, "redirect_http", "server.redirect_http", "address");
        let plain = format!("{BASE}\n[server]\nredirect_http = \"0.0.0.0:80\"\n");
        assert_problem(&plain, "redirect_http", "server.redirect_http", "need TLS");
    }
}
