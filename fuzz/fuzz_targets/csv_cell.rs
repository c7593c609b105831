//! CSV export cells: any text survives `csv::cell` and an RFC 4180 reader gives it
//! back, with a formula's leading character neutralised by a `'`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::csv;

/// Reads one RFC 4180 field back.
fn unquote(cell: &str) -> String {
    match cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
        Some(inner) if cell.len() >= 2 => inner.replace("\"\"", "\""),
        _ => cell.to_string(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cell = csv::cell(text);
    let back = unquote(&cell);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        assert_eq!(back, format!("'{text}"));
    } else {
        assert_eq!(back, text);
    }
    assert!(!back.starts_with(['=', '+', '-', '@', '\t', '\r']));
    // Unquoted cells hold nothing that could split a record.
    if !cell.starts_with('"') {
        assert!(!cell.contains([',', '"', '\n', '\r']));
    }
});
