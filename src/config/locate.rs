//! From bytes to what an operator can find in the file: the line of a byte offset, and the
//! key path (`services[2].first`) of a span reported by the TOML deserializer.
//!
//! serde stops at the first error. To report every unknown key (and every badly typed value)
//! at once, [`deserialize`] records the error, removes the offending key from the parsed
//! document and tries again, until the document deserializes or an error cannot be pinned
//! to a key.

use std::ops::Range;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::raw::RawConfig;
use super::Problem;

/// 1-based line of a byte offset (offsets past the end give the last line).
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Line of the key at the dotted path `a.b.c` (tables only), or of its deepest ancestor
/// present in the file; `None` when not even the first key is there.
pub(super) fn key_line(text: &str, dotted: &str) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut line = None;
    for key in dotted.split('.') {
        let Some((k, v)) = table.get_key_value(key) else {
            break;
        };
        line = Some(line_of(text, k.span().start));
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    line
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn path_string(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The result of deserializing: the raw config when it could be built, the problems met on
/// the way, and the key paths that were dropped (their absence must not be reported again).
pub(super) struct Deserialized {
    pub raw: Option<RawConfig>,
    pub problems: Vec<Problem>,
    pub removed: Vec<String>,
}

/// Parses `text` and deserializes it into [`RawConfig`], collecting every problem serde would
/// report one at a time.
pub(super) fn deserialize(text: &str, file: &str) -> Deserialized {
    let mut problems = Vec::new();
    let mut removed = Vec::new();
    let mut doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            problems.push(Problem {
                file: file.to_string(),
                line: e.span().map(|s| line_of(text, s.start)),
                field: "(syntax)".to_string(),
                message: e.message().trim().to_string(),
            });
            return Deserialized {
                raw: None,
                problems,
                removed,
            };
        }
    };
    // Each round removes one key, so this ends; the bound is a guard against surprises.
    for _ in 0..1000 {
        let de = toml::de::Deserializer::from(doc.clone());
        let err = match RawConfig::deserialize(de) {
            Ok(raw) => {
                return Deserialized {
                    raw: Some(raw),
                    problems,
                    removed,
                }
            }
            Err(e) => e,
        };
        let span = err.span();
        let mut segs = span
            .as_ref()
            .and_then(|s| find_path(doc.get_ref(), s.start))
            .unwrap_or_default();
        // Drop from the last key on: an array element is removed with its whole key.
        let last_key = segs.iter().rposition(|s| matches!(s, Seg::Key(_)));
        problems.push(Problem {
            file: file.to_string(),
            line: span.map(|s| line_of(text, s.start)),
            field: if segs.is_empty() {
                "(file)".to_string()
            } else {
                path_string(&segs)
            },
            message: tidy(err.message()),
        });
        let Some(last_key) = last_key else { break };
        segs.truncate(last_key + 1);
        if !remove_at(doc.get_mut(), &segs) {
            break;
        }
        removed.push(path_string(&segs));
    }
    Deserialized {
        raw: None,
        problems,
        removed,
    }
}

/// Rewords serde's messages for people who edit TOML, not Rust.
fn tidy(message: &str) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let expected = rest.split_once(", ").map(|(_, e)| e).unwrap_or("");
        let expected = expected.replace('`', "");
        return if expected.is_empty() || expected == "there are no fields" {
            "unknown key".to_string()
        } else {
            format!("unknown key, {expected}")
        };
    }
    message
        .replace("expected i64", "expected an integer")
        .replace("expected u32", "expected a non-negative integer")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table")
        .replace("expected struct ", "expected a table ")
}

/// The path of the key or value whose span holds `pos`: the deepest key or scalar first, and
/// only when none matches, a table or array (their spans may reach over sibling sections).
fn find_path(table: &DeTable<'_>, pos: usize) -> Option<Vec<Seg>> {
    for containers in [false, true] {
        let mut out = Vec::new();
        if find_in_table(table, pos, containers, &mut out) {
            return Some(out);
        }
    }
    None
}

fn is_container(v: &DeValue<'_>) -> bool {
    matches!(v, DeValue::Table(_) | DeValue::Array(_))
}

fn hit(span: Range<usize>, pos: usize) -> bool {
    span.contains(&pos) || (span.is_empty() && span.start == pos)
}

fn find_in_table(t: &DeTable<'_>, pos: usize, containers: bool, out: &mut Vec<Seg>) -> bool {
    for (k, v) in t.iter() {
        out.push(Seg::Key(k.get_ref().to_string()));
        if find_in_value(v, pos, containers, out)
            || hit(k.span(), pos)
            || ((containers || !is_container(v.get_ref())) && hit(v.span(), pos))
        {
            return true;
        }
        out.pop();
    }
    false
}

fn find_in_value(
    v: &Spanned<DeValue<'_>>,
    pos: usize,
    containers: bool,
    out: &mut Vec<Seg>,
) -> bool {
    match v.get_ref() {
        DeValue::Table(t) => find_in_table(t, pos, containers, out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                out.push(Seg::Index(i));
                if find_in_value(item, pos, containers, out)
                    || ((containers || !is_container(item.get_ref())) && hit(item.span(), pos))
                {
                    return true;
                }
                out.pop();
            }
            false
        }
        _ => false,
    }
}

/// Removes the key at `segs` (which ends with a key). Returns whether something was removed.
fn remove_at(table: &mut DeTable<'_>, segs: &[Seg]) -> bool {
    let Some((Seg::Key(last), parents)) = segs.split_last() else {
        return false;
    };
    let mut value: Option<&mut DeValue<'_>> = None;
    for seg in parents {
        let next = match (seg, value) {
            (Seg::Key(k), None) => table.get_mut(k.as_str()).map(|v| v.get_mut()),
            (Seg::Key(k), Some(DeValue::Table(t))) => t.get_mut(k.as_str()).map(|v| v.get_mut()),
            (Seg::Index(i), Some(DeValue::Array(a))) => a.get_mut(*i).map(|v| v.get_mut()),
            _ => None,
        };
        match next {
            Some(v) => value = Some(v),
            None => return false,
        }
    }
    let target = match value {
        None => table,
        Some(DeValue::Table(t)) => t,
        Some(_) => return false,
    };
    target.remove(last.as_str()).is_some()
}
