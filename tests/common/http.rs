//! HTTP helpers: requests with tokens, the answer's status and error code, ticket shapes.

use super::*;

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

/// A response: status, raw text and the parsed JSON body (Null when not JSON).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub text: String,
    pub body: Value,
}

impl Resp {
    /// `error.code` of an error body, "" when absent.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    /// Panics unless the status is `status`; returns the body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        &self.body
    }

    /// Panics unless this is the error `code` with HTTP `status` and a non-empty message.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "expected {status} {code}; body: {}",
            self.text
        );
        assert!(
            !self.message().trim().is_empty(),
            "error {code} without a message: {}",
            self.text
        );
    }
}

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

pub enum Body<'a> {
    None,
    Json(Value),
    /// Sent as-is with `Content-Type: application/json`.
    Raw(&'a str),
}

impl Api {
    pub fn new(base: &str) -> Api {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(15))
            // The daemon closes a keep-alive connection idle for `header_timeout_s` (10 s by
            // default); a pooled connection reused at that instant would fail its request.
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .expect("reqwest client");
        Api {
            base: base.to_string(),
            http,
        }
    }

    /// A request that may fail at the transport level (used while the daemon gets killed).
    pub async fn try_request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
        headers: &[(&str, &str)],
    ) -> Result<Resp, reqwest::Error> {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        rb = match body {
            Body::None => rb,
            Body::Json(v) => rb.json(&v),
            Body::Raw(s) => rb
                .header("content-type", "application/json")
                .body(s.to_string()),
        };
        let r = rb.send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Resp { status, text, body })
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let m = method.clone();
        self.try_request(method, path, token, body, headers)
            .await
            .unwrap_or_else(|e| panic!("{m} {path}: transport error {e}"))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(reqwest::Method::GET, path, token, Body::None, &[])
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(reqwest::Method::POST, path, token, Body::Json(body), &[])
            .await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(reqwest::Method::POST, path, token, Body::None, &[])
            .await
    }

    pub async fn post_raw(&self, path: &str, token: Option<&str>, raw: &str) -> Resp {
        self.request(reqwest::Method::POST, path, token, Body::Raw(raw), &[])
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(reqwest::Method::PUT, path, token, Body::Json(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(reqwest::Method::DELETE, path, token, Body::None, &[])
            .await
    }

    // ---- domain helpers ---------------------------------------------------------------

    /// Issues a normal ticket from the kiosk; panics unless 201.
    pub async fn issue(&self, service: &str) -> Value {
        self.issue_with(service, None).await
    }

    pub async fn issue_with(&self, service: &str, priority: Option<&str>) -> Value {
        let mut body = json!({ "service": service });
        if let Some(p) = priority {
            body["priority"] = json!(p);
        }
        let r = self.post("/api/v1/tickets", Some(KIOSK), body).await;
        assert_eq!(r.status, 201, "issue {service}: {}", r.text);
        assert_ticket_shape(&r.body);
        r.body
    }

    pub async fn login(&self, staff: &str, pin: &str, counter: u32) -> String {
        let r = self
            .post(
                "/api/v1/login",
                None,
                json!({ "staff": staff, "pin": pin, "counter": counter }),
            )
            .await;
        assert_eq!(r.status, 200, "login {staff}@{counter}: {}", r.text);
        assert_eq!(r.body["counter"], json!(counter), "login body: {}", r.text);
        r.body["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login without token: {}", r.text))
            .to_string()
    }

    /// Logs the usual demo clerk (nvNN, PIN 1234) into counter `n`.
    pub async fn clerk(&self, counter: u32) -> String {
        self.login(&staff_for(counter), PIN, counter).await
    }

    pub async fn counter_op(&self, counter: u32, op: &str, token: &str) -> Resp {
        self.post_empty(&format!("/api/v1/counters/{counter}/{op}"), Some(token))
            .await
    }

    pub async fn next(&self, counter: u32, token: &str) -> Resp {
        self.counter_op(counter, "next", token).await
    }

    pub async fn set_status(&self, counter: u32, token: &str, status: &str) -> Resp {
        self.post(
            &format!("/api/v1/counters/{counter}/status"),
            Some(token),
            json!({ "status": status }),
        )
        .await
    }

    pub async fn transfer(&self, counter: u32, token: &str, service: &str) -> Resp {
        self.post(
            &format!("/api/v1/counters/{counter}/transfer"),
            Some(token),
            json!({ "service": service }),
        )
        .await
    }

    pub async fn ticket(&self, id: &str) -> Resp {
        self.get(&format!("/api/v1/tickets/{id}"), None).await
    }

    /// `GET /api/v1/state` with the given token; panics unless 200.
    pub async fn state(&self, token: Option<&str>) -> Value {
        let r = self.get("/api/v1/state", token).await;
        assert_eq!(r.status, 200, "state: {}", r.text);
        r.body
    }

    /// The supervisor's snapshot without the volatile `now`.
    pub async fn state_sans_now(&self) -> Value {
        let mut s = self.state(Some(SUPERVISOR)).await;
        if let Some(o) = s.as_object_mut() {
            o.remove("now");
        }
        s
    }

    pub async fn seq(&self) -> u64 {
        let r = self.get("/healthz", None).await;
        assert_eq!(r.status, 200, "healthz: {}", r.text);
        assert_eq!(r.body["status"], "ok", "healthz: {}", r.text);
        r.body["seq"].as_u64().expect("healthz seq")
    }

    /// A free appointment slot of `service` starting in the future, searching from today on.
    pub async fn free_slot(&self, service: &str, days: u32) -> Option<Value> {
        let today = self.state(None).await["day"]
            .as_str()
            .expect("snapshot day")
            .to_string();
        for d in 0..days {
            let day = add_days(&today, d);
            let r = self
                .get(&format!("/api/v1/slots?service={service}&day={day}"), None)
                .await;
            if r.status != 200 {
                continue;
            }
            for slot in r.body.as_array().cloned().unwrap_or_default() {
                if slot["free"].as_u64().unwrap_or(0) > 0 && slot_in_future(&slot) {
                    return Some(slot);
                }
            }
        }
        None
    }

    /// Two visits of `service` booked in its first free slot within `days`: one with a name
    /// and phone number, then checked in at the kiosk, and one anonymous, then cancelled.
    /// Returns how many were booked and the check-in's answer (the named one booked).
    pub async fn book_check_in_and_cancel(
        &self,
        service: &str,
        days: u32,
    ) -> (usize, Option<Resp>) {
        let Some(slot) = self.free_slot(service, days).await else {
            return (0, None);
        };
        let (mut booked, mut check_in) = (0, None);
        for (name, phone) in [(Some("Lê Thị Riêng Tư"), Some("0987654321")), (None, None)] {
            let r = self
                .post(
                    "/api/v1/bookings",
                    None,
                    json!({ "service": service, "start": slot["start"], "name": name, "phone": phone }),
                )
                .await;
            if r.status != 201 {
                continue;
            }
            booked += 1;
            let code = r.body["code"].as_str().expect("code").to_string();
            if name.is_some() {
                let answer = self
                    .post("/api/v1/checkins", Some(KIOSK), json!({ "code": code }))
                    .await;
                check_in = Some(answer);
            } else {
                self.delete(&format!("/api/v1/bookings/{code}"), None).await;
            }
        }
        (booked, check_in)
    }
}

/// Checks the contract's ticket fields are there.
#[track_caller]
pub fn assert_ticket_shape(t: &Value) {
    for k in [
        "id",
        "number",
        "service",
        "priority",
        "status",
        "issued_at",
        "called_at",
        "finished_at",
        "counter",
        "recalls",
    ] {
        assert!(t.get(k).is_some(), "ticket lacks `{k}`: {t}");
    }
    assert!(t["id"].as_str().is_some_and(|s| !s.is_empty()), "{t}");
    assert!(t["number"].as_str().is_some_and(|s| !s.is_empty()), "{t}");
}

pub fn id_of(t: &Value) -> String {
    t["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {t}"))
        .to_string()
}

pub fn number_of(t: &Value) -> String {
    t["number"]
        .as_str()
        .unwrap_or_else(|| panic!("no number in {t}"))
        .to_string()
}

/// The integer part of a ticket number ("A005" → 5, "1005" → 1005).
pub fn numeric(number: &str) -> u64 {
    let digits: String = number.chars().filter(|c| c.is_ascii_digit()).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("number without digits: {number}"))
}

/// The snapshot's entry for `service`.
pub fn service_entry<'a>(state: &'a Value, service: &str) -> &'a Value {
    state["services"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["id"] == service))
        .unwrap_or_else(|| panic!("service {service} not in snapshot"))
}

/// The snapshot's entry for counter `n`.
pub fn counter_entry(state: &Value, counter: u32) -> &Value {
    state["counters"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == counter))
        .unwrap_or_else(|| panic!("counter {counter} not in snapshot"))
}

pub fn waiting_count(state: &Value, service: &str) -> u64 {
    service_entry(state, service)["waiting"]
        .as_u64()
        .unwrap_or_else(|| panic!("waiting of {service} in {state}"))
}
