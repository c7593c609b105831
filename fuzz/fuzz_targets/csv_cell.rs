//! CSV export cells: any text survives `csv::cell` and an RFC 4180 reader gives it
//! back, with a `'` in front when the text, or a part a reader could split off at `,`,
//! `;`, tab or a line break, would start a formula (after leading whitespace, ASCII or
//! full-width `= + - @`). Such cells are quoted, so no reader splits them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::csv;

const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];
const SPLITS: [char; 5] = [',', ';', '\t', '\r', '\n'];

/// Reads one RFC 4180 field back.
fn unquote(cell: &str) -> String {
    match cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
        Some(inner) if cell.len() >= 2 => inner.replace("\"\"", "\""),
        _ => cell.to_string(),
    }
}

/// The oracle, written apart from the code under test.
fn formula_somewhere(text: &str) -> bool {
    text.starts_with(['\t', '\r'])
        || text
            .split(SPLITS)
            .any(|part| part.trim_start().starts_with(FORMULA_STARTS))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cell = csv::cell(text);
    let back = unquote(&cell);
    if formula_somewhere(text) {
        assert_eq!(back, format!("'{text}"));
    } else {
        assert_eq!(back, text);
    }
    assert!(!back.trim_start().starts_with(FORMULA_STARTS));
    assert!(!back.starts_with(['\t', '\r']));
    // Unquoted cells hold nothing that could split a record or a cell.
    if !cell.starts_with('"') {
        assert!(!cell.contains([',', ';', '\t', '"', '\n', '\r']));
    }
});
