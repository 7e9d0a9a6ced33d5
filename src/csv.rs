//! The one CSV cell writer of every report (daily figures, call-back list): quoted when
//! needed, and a text cell never read as a formula by a spreadsheet (a leading `=`, `+`,
//! `-`, `@`, tab or carriage return gets a `'`; CSV injection, OWASP).

use serde_json::Value;

/// A text cell.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A cell of a JSON value: empty for null, text through [`cell`], numbers as they are.
pub fn value_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => cell(s),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("0912345678"), "0912345678");
        assert_eq!(cell("+33123456789"), "'+33123456789");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("Tốt, nhanh"), "\"Tốt, nhanh\"");
    }

    #[test]
    fn values_use_the_same_guard() {
        assert_eq!(value_cell(&json!(null)), "");
        assert_eq!(value_cell(&json!(-3)), "-3");
        assert_eq!(value_cell(&json!("=1+1")), "'=1+1");
        assert_eq!(value_cell(&json!("a,b")), "\"a,b\"");
    }
}
