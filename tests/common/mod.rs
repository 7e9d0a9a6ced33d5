//! Shared harness of the integration tests: starts the real `xephang` binary on 127.0.0.1,
//! talks to it over HTTP (reqwest) and WebSocket (tokio-tungstenite), and writes test
//! configurations. Everything here follows docs/API.md, never the daemon's source.
#![allow(dead_code, unused_imports)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

// ---------------------------------------------------------------------------------------
// Demo credentials (config/default.toml; the custom configs below reuse them)
// ---------------------------------------------------------------------------------------

pub const DISPLAY: &str = "demo-display-token-0001";
pub const KIOSK: &str = "demo-kiosk-token-00001";
pub const SUPERVISOR: &str = "demo-supervisor-token-01";
pub const PIN: &str = "1234";
pub const SUPERVISOR_STAFF: &str = "gs01";
pub const SUPERVISOR_PIN: &str = "9999";

/// The rating-device token of counter `n` (1..8).
pub fn rating_token(counter: u32) -> String {
    format!("demo-rating-token-000{counter}")
}

/// The demo staff member usually sitting at counter `n` (nv01..nv08).
pub fn staff_for(counter: u32) -> String {
    format!("nv{counter:02}")
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_xephang")
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn default_config() -> PathBuf {
    manifest_dir().join("config/default.toml")
}

/// Runs one bad request, checks its status and code, and that the state did not move.
#[allow(unused_macros)]
macro_rules! bad {
    ($api:expr, $before:expr, $status:expr, $code:expr, $req:expr) => {{
        let r: Resp = $req.await;
        r.expect_error($status, $code);
        let after = $api.state_sans_now().await;
        assert_eq!(
            &after, $before,
            "state changed after a request answered {} {}",
            $status, $code
        );
        r
    }};
}

mod daemon;
pub use daemon::*;
mod http;
pub use http::*;
mod util;
pub use util::*;
mod ws;
pub use ws::*;
mod centre;
pub use centre::*;
mod admin;
pub use admin::*;
