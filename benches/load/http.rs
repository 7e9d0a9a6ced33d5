//! The HTTP side of the load: kiosks issuing, clerks calling, the supervisor's metrics.
//! One keep-alive client (reqwest's pool gives each concurrent task its own connection).

use std::time::Duration;

use serde_json::{json, Value};

pub const KIOSK: &str = "demo-kiosk-token-00001";
pub const SUPERVISOR: &str = "demo-supervisor-token-01";
/// Services of the demo centre a kiosk may issue (tiepdan is appointment-only).
pub const ISSUABLE: [&str; 6] = ["hotich", "chungthuc", "datdai", "gplx", "dkkd", "traketqua"];
/// Counters 1 and 2 both serve these two.
pub const CALLED: [&str; 2] = ["hotich", "chungthuc"];

#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Api {
        let http = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client");
        Api {
            base: base.to_string(),
            http,
        }
    }

    async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let mut rb = self.http.post(format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.map_err(|e| format!("POST {path}: {e}"))?;
        let status = r.status().as_u16();
        let bytes = r.bytes().await.map_err(|e| format!("POST {path}: {e}"))?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// Logs staff `nv0{counter}` in at `counter`; returns the clerk's token.
    pub async fn login(&self, counter: u32) -> Result<String, String> {
        let body = json!({"staff": format!("nv{counter:02}"), "pin": "1234", "counter": counter});
        let (status, v) = self.post("/api/v1/login", None, Some(body)).await?;
        match v["token"].as_str() {
            Some(t) if status == 200 => Ok(t.to_string()),
            _ => Err(format!("login at counter {counter}: {status} {v}")),
        }
    }

    /// Issues one ticket at the kiosk; returns the HTTP status (201 when issued).
    pub async fn issue(&self, service: &str) -> Result<u16, String> {
        let (status, _) = self
            .post(
                "/api/v1/tickets",
                Some(KIOSK),
                Some(json!({"service": service})),
            )
            .await?;
        Ok(status)
    }

    /// The clerk of `counter` clicks next; returns the called number (None: nobody waiting).
    pub async fn next(&self, token: &str, counter: u32) -> Result<Option<String>, String> {
        let path = format!("/api/v1/counters/{counter}/next");
        let (status, v) = self.post(&path, Some(token), None).await?;
        if status != 200 {
            return Err(format!("next at {counter}: {status} {v}"));
        }
        Ok(v["ticket"]["number"].as_str().map(str::to_string))
    }

    /// A counter or gauge from `GET /metrics` (supervisor).
    pub async fn metric(&self, name: &str) -> Result<f64, String> {
        let r = self
            .http
            .get(format!("{}/metrics", self.base))
            .bearer_auth(SUPERVISOR)
            .send()
            .await
            .map_err(|e| format!("GET /metrics: {e}"))?;
        let text = r.text().await.map_err(|e| format!("GET /metrics: {e}"))?;
        text.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(' ')?;
                (k == name).then(|| v.trim().parse::<f64>().ok()).flatten()
            })
            .ok_or_else(|| format!("metric {name} not found"))
    }
}
