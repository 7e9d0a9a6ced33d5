//! TLS for a listener, reusable by the lobby daemon and the province hub: a certificate chain
//! and private key read from PEM files (rustls with the ring provider; no OpenSSL), served
//! through a certificate resolver whose key can be swapped while the daemon runs. On SIGHUP
//! ([`reload_on_sighup`]) the files are read again — a renewal (certbot, an internal CA)
//! needs no restart: new handshakes get the new certificate, connections already open (a
//! lobby board's WebSocket) keep theirs and are not dropped. A renewal that cannot be read
//! or does not match its key is refused with an error in the log, and the old certificate
//! stays in service.
//!
//! The accept loop (`server.rs`) calls [`Tls::acceptor`] for each connection.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use thiserror::Error;
use tokio_rustls::TlsAcceptor;

pub use crate::config::TlsFiles;

/// Why a certificate or key could not be put in service.
#[derive(Debug, Error)]
pub enum TlsError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: no PEM certificate in it (expected \"-----BEGIN CERTIFICATE-----\")")]
    NoCertificate { path: PathBuf },
    #[error("{path}: not a valid PEM certificate chain: {detail}")]
    BadCertificate { path: PathBuf, detail: String },
    #[error("{path}: no usable PEM private key (PKCS#8, PKCS#1 or SEC1): {detail}")]
    BadKey { path: PathBuf, detail: String },
    #[error("{key} does not belong to the certificate {cert}: {detail}")]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
    #[error("TLS set-up: {0}")]
    Setup(String),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and checks a certificate chain and its key (blocking file I/O).
pub fn load_certified_key(files: &TlsFiles) -> Result<CertifiedKey, TlsError> {
    let cert_pem = read(&files.cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadCertificate {
            path: files.cert.clone(),
            detail: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: files.cert.clone(),
        });
    }
    let key_pem = read(&files.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::BadKey {
        path: files.key.clone(),
        detail: e.to_string(),
    })?;
    CertifiedKey::from_der(chain, key, &provider()).map_err(|e| TlsError::Mismatch {
        cert: files.cert.clone(),
        key: files.key.clone(),
        detail: e.to_string(),
    })
}

/// The SHA-256 fingerprint of a certified key's leaf certificate (hex), for the log.
pub fn fingerprint(key: &CertifiedKey) -> String {
    key.cert
        .first()
        .map(|c| hex::encode(Sha256::digest(c.as_ref())))
        .unwrap_or_default()
}

/// Hands every handshake the certificate in service now.
struct Resolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

/// A listener's TLS: the acceptor for new connections and the files it reloads.
pub struct Tls {
    files: TlsFiles,
    resolver: Arc<Resolver>,
    acceptor: TlsAcceptor,
}

impl Tls {
    /// Reads the files and builds the acceptor (blocking file I/O: call it before serving or
    /// from a blocking thread). HTTP/1.1 only, TLS 1.2 and 1.3.
    pub fn load(files: &TlsFiles) -> Result<Tls, TlsError> {
        let key = load_certified_key(files)?;
        tracing::info!(cert = %files.cert.display(), sha256 = %fingerprint(&key), "TLS certificate in service");
        let resolver = Arc::new(Resolver {
            current: RwLock::new(Arc::new(key)),
        });
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            files: files.clone(),
            resolver,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// The fingerprint of the certificate in service.
    pub fn current_fingerprint(&self) -> String {
        fingerprint(
            &self
                .resolver
                .current
                .read()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    /// Reads the files again (on a blocking thread) and puts the new certificate in service;
    /// on error the old one stays. Open connections are not touched.
    pub async fn reload(&self) -> Result<String, TlsError> {
        let files = self.files.clone();
        let key = tokio::task::spawn_blocking(move || load_certified_key(&files))
            .await
            .map_err(|e| TlsError::Setup(format!("the reload task failed: {e}")))??;
        let print = fingerprint(&key);
        *self
            .resolver
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
        Ok(print)
    }
}

/// Until the runtime stops: on each SIGHUP, reloads `tls` (when there is one). Installing
/// the handler also means a SIGHUP (`systemctl reload`) never terminates the daemon, TLS
/// or not.
pub async fn reload_on_sighup(tls: Option<Arc<Tls>>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP: certificate renewals need a restart");
            return;
        }
    };
    while hup.recv().await.is_some() {
        let Some(tls) = &tls else {
            tracing::info!("SIGHUP: no TLS configured, nothing to reload");
            continue;
        };
        match tls.reload().await {
            Ok(print) => {
                tracing::info!(cert = %tls.files.cert.display(), sha256 = %print, "SIGHUP: TLS certificate reloaded")
            }
            Err(e) => {
                tracing::error!(error = %e, sha256 = %tls.current_fingerprint(), "SIGHUP: the new certificate was refused; the old one stays in service")
            }
        }
    }
}

/// The start-up warning when the centre's public address is https but this listener speaks
/// plain HTTP: clerk PINs, session tokens and device tokens would then cross any network
/// between the proxy and this PC in the clear (fine only when a reverse proxy on the same
/// machine terminates TLS). None when there is nothing to say.
pub fn cleartext_warning(public_url: Option<&str>, tls_on: bool) -> Option<String> {
    let url = public_url?.trim();
    if tls_on || !url.to_ascii_lowercase().starts_with("https://") {
        return None;
    }
    Some(format!(
        "the public address {url} is https but this daemon serves plain HTTP ([server] tls_cert/tls_key not set): \
         clerk logins and device tokens travel in the clear unless a reverse proxy on this machine terminates TLS"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cleartext_warning_is_for_https_public_urls_without_tls() {
        assert!(cleartext_warning(Some("https://xephang.tinh.gov.vn"), false).is_some());
        assert!(cleartext_warning(Some("HTTPS://x.vn"), false).is_some());
        assert!(cleartext_warning(Some("https://xephang.tinh.gov.vn"), true).is_none());
        assert!(cleartext_warning(Some("http://10.0.0.2:8080"), false).is_none());
        assert!(cleartext_warning(None, false).is_none());
    }

    #[test]
    fn missing_or_empty_files_are_named() {
        let dir = std::env::temp_dir().join(format!("xephang-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        let Err(e) = load_certified_key(&files) else {
            panic!("no file, yet loaded")
        };
        assert!(e.to_string().contains("cert.pem: cannot read"), "{e}");
        std::fs::write(&files.cert, "not a pem").expect("write");
        let Err(e) = load_certified_key(&files) else {
            panic!("no certificate, yet loaded")
        };
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
