//! Unit tests of `appointments.rs`: CSV cells.

use super::*;

#[test]
fn cells_are_quoted_and_never_formulas() {
    assert_eq!(cell("0912345678"), "0912345678");
    assert_eq!(cell("+33123456789"), "'+33123456789");
    assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_eq!(cell("Tốt, nhanh"), "\"Tốt, nhanh\"");
}
