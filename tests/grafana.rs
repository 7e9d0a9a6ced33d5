//! The Grafana dashboard in the repository (`docs/grafana-xephang.json`, issue 18) stays true
//! to the daemon: every `xephang_*` series its queries use is one `GET /metrics` really
//! exports (after a ticket has been issued and called, and with the demo's devices), and the
//! document is a well-formed dashboard (unique panel ids, panels inside the 24-column grid,
//! unique query ids per panel, the datasource as a variable).

mod common;

use std::collections::{BTreeSet, HashSet};

use common::*;
use serde_json::Value;

fn dashboard() -> Value {
    let path = manifest_dir().join("docs/grafana-xephang.json");
    let text = std::fs::read_to_string(&path).expect("docs/grafana-xephang.json");
    serde_json::from_str(&text).expect("the dashboard is JSON")
}

/// Every `xephang_…` name in a PromQL expression.
fn names_in(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("xephang_") {
        let name: String = rest[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[i + name.len()..];
        out.push(name);
    }
    out
}

#[test]
fn the_dashboard_is_well_formed() {
    let d = dashboard();
    assert_eq!(d["uid"], "xephang-lobby");
    assert!(d["schemaVersion"].as_u64().is_some_and(|v| v >= 36));
    let vars: Vec<&str> = d["templating"]["list"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| v["name"].as_str().expect("name"))
        .collect();
    for v in ["datasource", "job", "instance", "service"] {
        assert!(vars.contains(&v), "variable {v} missing: {vars:?}");
    }
    let mut ids = HashSet::new();
    let panels = d["panels"].as_array().expect("panels");
    assert!(panels.len() >= 20, "{}", panels.len());
    for p in panels {
        assert!(
            ids.insert(p["id"].as_u64().expect("id")),
            "duplicate id: {p}"
        );
        let g = &p["gridPos"];
        let (x, w) = (g["x"].as_u64().expect("x"), g["w"].as_u64().expect("w"));
        assert!(x + w <= 24, "panel outside the grid: {}", p["title"]);
        if p["type"] == "row" {
            continue;
        }
        assert!(
            p["title"].as_str().is_some_and(|t| t.contains(" / ")),
            "Vietnamese / English title: {}",
            p["title"]
        );
        let targets = p["targets"].as_array().expect("targets");
        let refs: HashSet<&str> = targets
            .iter()
            .map(|t| t["refId"].as_str().expect("refId"))
            .collect();
        assert_eq!(refs.len(), targets.len(), "refIds unique in {}", p["title"]);
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        }
    }
}

#[tokio::test]
async fn every_series_of_the_dashboard_is_exported_by_metrics() {
    let d = Daemon::start_default();
    let api = d.api();
    // A ticket issued and called: the per-service call counter and the waits have series.
    let _t = api.issue("hotich").await;
    let clerk = api.clerk(1).await;
    api.next(1, &clerk).await.expect(200);
    let r = api.get("/metrics", Some(SUPERVISOR)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let exported: BTreeSet<String> = r
        .text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect();
    let mut used = BTreeSet::new();
    for p in dashboard()["panels"].as_array().expect("panels") {
        for t in p["targets"].as_array().into_iter().flatten() {
            used.extend(names_in(t["expr"].as_str().expect("expr")));
        }
    }
    assert!(used.len() >= 15, "{used:?}");
    let missing: Vec<&String> = used.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries series /metrics does not export: {missing:?}\nexported: {exported:?}"
    );
}
