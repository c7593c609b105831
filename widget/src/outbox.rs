//! The outbox's entries: what waits in `localStorage` until the server has it. One
//! entry per request, `localStorage["nps:o:<key>"]` = `<url>\n<body>`:
//!
//! - an answer: `<api>/v1/responses` and its JSON, POSTed with `Idempotency-Key: <key>`
//!   (the server stores it once however often it arrives);
//! - its follow-up comment: `<api>/v1/responses/<id>` and `{"edit_token", "comment"}`,
//!   PATCHed (setting the comment again is harmless), under the answer's key plus
//!   [`COMMENT`]. The comment box only shows once the answer's 201 brought the id and
//!   the edit token, so a comment never waits for its answer.
//!
//! The method follows from the URL, so the format of the answers' entries (which
//! an older page may have left) is unchanged, and the loader's test for the prefix
//! finds both. Pure (no browser), tested natively; `api.rs` stores and sends them.

/// The `localStorage` key prefix; the loader looks for it on every page.
pub const PREFIX: &str = "nps:o:";

/// Appended to an answer's key for the entry of its comment.
pub const COMMENT: &str = ".c";

/// `POST` for an answer (a URL ending in `/responses`), `PATCH` for a comment.
pub fn method(url: &str) -> &'static str {
    if url.ends_with("/responses") {
        "POST"
    } else {
        "PATCH"
    }
}

/// The stored text of an entry. JSON bodies hold no raw line break, and URLs none.
pub fn entry(url: &str, body: &str) -> String {
    [url, "\n", body].concat()
}

/// `(url, body)` of a stored entry; `None` for text that is no entry.
pub fn read(entry: &str) -> Option<(&str, &str)> {
    entry.split_once('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_posted_and_its_comment_patched() {
        assert_eq!(method("https://api.example/v1/responses"), "POST");
        assert_eq!(method("https://api.example/v1/responses/r_1"), "PATCH");
        assert_eq!(method("https://api.example/v1/responses/r%2F1"), "PATCH");
    }

    #[test]
    fn an_entry_reads_back_as_it_was_written() {
        let body = r#"{"edit_token":"t","comment":"two\nlines"}"#;
        let text = entry("https://api.example/v1/responses/r_1", body);
        assert_eq!(
            read(&text),
            Some(("https://api.example/v1/responses/r_1", body))
        );
        // An answer's entry as earlier versions wrote it reads the same way.
        assert_eq!(
            read("https://a.example/v1/responses\n{\"score\":3}"),
            Some(("https://a.example/v1/responses", "{\"score\":3}"))
        );
        assert_eq!(read("no entry"), None);
    }
}
