//! No circular imports among the files of `src/api/` (issue 13): reads every `src/api/*.rs`,
//! builds the graph of `super::…` / `crate::api::…` references (a `super::Name` that is not a
//! module, such as `super::AppState`, points at `mod.rs`, which uses every route file) and
//! fails on a cycle, naming it. Test modules (`#[cfg(test)]` to the end of a file) are left
//! out: their `use super::*` is the file itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The files of `src/api/` by module name (`mod.rs` is `mod`), test code and comments cut.
fn sources() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("src/api") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name");
        let text = std::fs::read_to_string(&path).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = code
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        out.insert(name.to_string(), code);
    }
    out
}

/// The first identifier of each item of a `use` tree starting at `rest` (after `super::`):
/// `x`, `x::y` → x; `{a, b::{c, d}}` → a, b.
fn heads(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut items = Vec::new();
        let mut item = String::new();
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut item));
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        items.push(item);
        return items.iter().flat_map(|i| ident(i)).collect();
    }
    ident(rest).into_iter().collect()
}

fn ident(s: &str) -> Option<String> {
    let s = s.trim_start();
    let id: String = s
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!id.is_empty() || s.starts_with('*')).then(|| if id.is_empty() { "*".into() } else { id })
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = sources();
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (name, code) in &files {
        let mut to = BTreeSet::new();
        if name == "mod" {
            // The router names the files it assembles: `tickets::routes()` and the like.
            for m in &modules {
                if code.contains(&format!("{m}::")) && m != "mod" {
                    to.insert(m.clone());
                }
            }
        } else {
            for marker in ["super::", "crate::api::"] {
                for (i, _) in code.match_indices(marker) {
                    for head in heads(&code[i + marker.len()..]) {
                        let target = if modules.contains(&head) && head != "mod" {
                            head
                        } else {
                            "mod".to_string()
                        };
                        if &target != name {
                            to.insert(target);
                        }
                    }
                }
            }
        }
        edges.insert(name.clone(), to);
    }
    edges
}

/// A cycle of the graph, if any (depth-first search with the path kept).
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| p == m).unwrap_or(0);
                    let mut c = path[start..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, edges, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if !state.contains_key(n.as_str()) {
            if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_circular_imports_among_api_files() {
    let edges = graph();
    assert!(edges.len() > 20, "read only {} files", edges.len());
    // The router uses the route files; the openapi frame uses no route file (a leaf).
    assert!(edges["mod"].contains("tickets"), "{:?}", edges["mod"]);
    let openapi = &edges["openapi"];
    assert!(
        openapi.iter().all(|m| m == "error"),
        "openapi.rs imports {openapi:?}"
    );
    if let Some(c) = cycle(&edges) {
        panic!("circular imports in src/api: {}", c.join(" -> "));
    }
}

/// The checker itself finds a circle (the shape of the old code: openapi.rs imported every
/// handler file for its paths while the handlers imported its doc-only schemas) and sees
/// through `use` trees.
#[test]
fn the_checker_finds_a_cycle() {
    assert_eq!(heads("{a, b::{c, d}, e}"), ["a", "b", "e"]);
    assert_eq!(heads("AppState;"), ["AppState"]);
    let mut edges = BTreeMap::new();
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    edges.insert("tickets".to_string(), set(&["command", "openapi"]));
    edges.insert("counters".to_string(), set(&["command", "openapi"]));
    edges.insert("command".to_string(), set(&[]));
    edges.insert("openapi".to_string(), set(&["tickets", "counters"]));
    let c = cycle(&edges).expect("a cycle");
    assert_eq!(c.first(), c.last());
    assert_eq!(c.len(), 3, "{c:?}");
    edges.insert("openapi".to_string(), set(&[]));
    assert!(cycle(&edges).is_none());
}
