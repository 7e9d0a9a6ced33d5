//! TLS (issue 18): the daemon serves HTTPS and WSS with a certificate from PEM files
//! (`[server] tls_cert`, `tls_key`), re-reads them on SIGHUP without dropping open sockets,
//! keeps the old certificate when the renewal is broken, and its optional plain-HTTP
//! listener (`redirect_http`) only redirects to https. The certificates are made here (rcgen):
//! a test CA and leaves for 127.0.0.1 signed by it; every client trusts that CA only.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

type Ca = CertifiedIssuer<'static, KeyPair>;

fn make_ca() -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "xephang test CA");
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

/// A leaf for 127.0.0.1 and localhost: (certificate PEM, key PEM, certificate DER).
fn make_leaf(ca: &Ca, name: &str) -> (String, String, Vec<u8>) {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("leaf");
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

/// Writes a file the way a renewal tool does: a new file renamed over the old one.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

fn centre_with_tls(cert: &Path, key: &Path, redirect: bool) -> String {
    let mut toml = std::fs::read_to_string(default_config()).expect("demo config");
    toml.push_str(&format!(
        "\n[server]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
        cert.display(),
        key.display()
    ));
    if redirect {
        toml.push_str("redirect_http = \"127.0.0.1:0\"\n");
    }
    toml
}

/// An HTTPS client that trusts the test CA only, one connection per request (so each sees
/// the certificate in service at that moment), reporting the peer's certificate.
fn https_client(ca: &Ca) -> reqwest::Client {
    let root = reqwest::Certificate::from_pem(ca.pem().as_bytes()).expect("CA pem");
    reqwest::Client::builder()
        .use_rustls_tls()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(root)
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// GET over HTTPS: (status, body, the server's leaf certificate).
async fn get(client: &reqwest::Client, url: &str) -> (u16, String, Vec<u8>) {
    let r = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e:?}"));
    let leaf = r
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("peer certificate")
        .to_vec();
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"), leaf)
}

type Wss =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

/// A full TLS handshake (a client of its own: no session to resume) trusting the CA only.
async fn handshake(
    ca: &Ca,
    addr: SocketAddr,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca.der().to_vec()))
        .expect("root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    let ip = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
    connector.connect(ip, tcp).await.expect("TLS handshake")
}

/// The leaf certificate a new connection is served now.
async fn leaf_now(ca: &Ca, addr: SocketAddr) -> Vec<u8> {
    let tls = handshake(ca, addr).await;
    let leaf = tls.get_ref().1.peer_certificates().expect("peer")[0].to_vec();
    leaf
}

/// A board's WebSocket over TLS (trusting the CA only): the socket and the server's leaf.
async fn wss(ca: &Ca, addr: SocketAddr, query: &str) -> (Wss, Vec<u8>) {
    let tls = handshake(ca, addr).await;
    let leaf = tls.get_ref().1.peer_certificates().expect("peer")[0].to_vec();
    let url = format!("wss://{addr}/ws?{query}");
    let (ws, _) = tokio_tungstenite::client_async(url, tls)
        .await
        .expect("websocket handshake");
    (ws, leaf)
}

/// The next text frame as JSON (pings are skipped).
async fn next_json(ws: &mut Wss, within: Duration) -> serde_json::Value {
    let end = Instant::now() + within;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).expect("json"),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no frame on the board socket: {other:?}"),
        }
    }
}

fn sighup(d: &Daemon) {
    let pid = d.pid().expect("running");
    let ok = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("kill -HUP");
    assert!(ok.success());
}

/// Polls until a new connection is served `leaf`.
async fn wait_for_leaf(ca: &Ca, addr: SocketAddr, leaf: &[u8]) {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        if leaf_now(ca, addr).await == leaf {
            return;
        }
        assert!(
            Instant::now() < end,
            "the renewed certificate was not served within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn https_and_wss_with_a_renewal_on_sighup_that_keeps_the_board_socket() {
    let dir = tempdir();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let ca = make_ca();
    let (pem1, key1, der1) = make_leaf(&ca, "xephang one");
    replace(&cert, &pem1);
    replace(&key, &key1);
    let d = Daemon::start_with(&centre_with_tls(&cert, &key, false));
    let addr = d.addr();
    d.wait_log(&format!("xephang listening on https://{addr}"));
    let client = https_client(&ca);
    let base = format!("https://{addr}");

    // HTTPS: health and the board page, with the first certificate.
    let (status, body, leaf) = get(&client, &format!("{base}/healthz")).await;
    assert_eq!((status, leaf == der1), (200, true), "{body}");
    let (status, page, _) = get(&client, &format!("{base}/board?token={DISPLAY}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html"), "{page}");
    // Nothing is served in the clear on the TLS port.
    let plain = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
        .get(format!("http://{addr}/healthz"))
        .send()
        .await;
    assert!(
        plain.map(|r| r.status().as_u16() != 200).unwrap_or(true),
        "plain HTTP must not be answered on the TLS port"
    );

    // A board on WSS gets its snapshot.
    let (mut board, board_leaf) = wss(&ca, addr, &format!("token={DISPLAY}")).await;
    assert_eq!(board_leaf, der1);
    let first = next_json(&mut board, Duration::from_secs(5)).await;
    assert_eq!(first["type"], "snapshot", "{first}");

    // Renewal: a new certificate and key in the same files, then SIGHUP.
    let (pem2, key2, der2) = make_leaf(&ca, "xephang two");
    assert_ne!(der1, der2);
    replace(&cert, &pem2);
    replace(&key, &key2);
    sighup(&d);
    wait_for_leaf(&ca, addr, &der2).await;
    let (status, _, _) = get(&https_client(&ca), &format!("{base}/healthz")).await;
    assert_eq!(status, 200);

    // The board's socket opened before the renewal is still there and still live: a ticket
    // issued over HTTPS reaches it.
    let issued = client
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(KIOSK)
        .json(&json!({"service": "hotich"}))
        .send()
        .await
        .expect("issue");
    assert_eq!(issued.status().as_u16(), 201);
    let frame = next_json(&mut board, Duration::from_secs(5)).await;
    assert_eq!(frame["event"]["type"], "ticket_issued", "{frame}");
    // A new board socket gets the new certificate.
    let (_board2, leaf2) = wss(&ca, addr, "").await;
    assert_eq!(leaf2, der2);

    // A broken renewal (a certificate with somebody else's key) is refused: the daemon keeps
    // serving the second certificate and says why.
    let (pem3, _, _) = make_leaf(&ca, "xephang three");
    replace(&cert, &pem3);
    sighup(&d);
    d.wait_log("the new certificate was refused");
    assert!(
        leaf_now(&ca, addr).await == der2,
        "the second certificate stays"
    );
    let (status, _, _) = get(&https_client(&ca), &format!("{base}/healthz")).await;
    assert_eq!(status, 200);
    // And the board is still connected after all of it.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), board.next())
            .await
            .map(|m| !matches!(m, None | Some(Err(_)) | Some(Ok(Message::Close(_)))))
            .unwrap_or(true),
        "the board socket was closed"
    );
}

#[tokio::test]
async fn the_plain_http_listener_only_redirects_to_https() {
    let dir = tempdir();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let ca = make_ca();
    let (pem, k, _) = make_leaf(&ca, "xephang");
    replace(&cert, &pem);
    replace(&key, &k);
    let d = Daemon::start_with(&centre_with_tls(&cert, &key, true));
    let end = Instant::now() + Duration::from_secs(5);
    let redirect: SocketAddr = loop {
        let log = d.log_tail();
        let found = log
            .lines()
            .find_map(|l| l.split("xephang redirects http://").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|a| a.parse().ok());
        match found {
            Some(a) => break a,
            None if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
            None => panic!("no redirect line: {log}"),
        }
    };
    let plain = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (method, path) in [
        (reqwest::Method::GET, "/board?token=abc&audio=1"),
        (reqwest::Method::POST, "/api/v1/login"),
    ] {
        let r = plain
            .request(method, format!("http://{redirect}{path}"))
            .send()
            .await
            .expect("redirect listener");
        assert_eq!(r.status().as_u16(), 308, "{path}");
        let to = r.headers()["location"].to_str().expect("location");
        assert_eq!(to, format!("https://127.0.0.1:{}{path}", d.addr().port()));
    }
    // Following it lands on the daemon over TLS.
    let (status, _, _) = get(
        &https_client(&ca),
        &format!("https://127.0.0.1:{}/healthz", d.addr().port()),
    )
    .await;
    assert_eq!(status, 200);
}

#[test]
fn a_missing_key_file_stops_the_daemon_naming_it() {
    let dir = tempdir();
    let (cert, key) = (
        dir.path().join("cert.pem"),
        dir.path().join("missing-key.pem"),
    );
    let ca = make_ca();
    replace(&cert, &make_leaf(&ca, "x").0);
    let cfg = dir.path().join("centre.toml");
    std::fs::write(&cfg, centre_with_tls(&cert, &key, false)).expect("config");
    let out = std::process::Command::new(bin())
        .args(["run", "--demo", "--config"])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--bind", "127.0.0.1:0"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("missing-key.pem: cannot read"),
        "the error names the file: {text}"
    );
}
