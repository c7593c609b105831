//! A tiny JSON object writer for the two request bodies the widget sends (the answer
//! and the comment). serde_json would cost tens of KB of wasm; the bodies are flat
//! objects of strings and one small integer, so escaping strings is all it takes.
//! (Reading JSON is the browser's `JSON.parse`.) Pure, tested natively.

/// Writes `{"name":value,…}`; members are added in order, `finish` closes it.
#[derive(Debug)]
pub struct Object {
    text: String,
}

impl Default for Object {
    fn default() -> Self {
        Object::new()
    }
}

impl Object {
    pub fn new() -> Object {
        Object {
            text: String::from("{"),
        }
    }

    fn name(&mut self, name: &str) {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        string(&mut self.text, name);
        self.text.push(':');
    }

    pub fn string(mut self, name: &str, value: &str) -> Object {
        self.name(name);
        string(&mut self.text, value);
        self
    }

    /// A member only when there is a value.
    pub fn optional(self, name: &str, value: Option<&str>) -> Object {
        match value {
            Some(value) => self.string(name, value),
            None => self,
        }
    }

    /// A number 0–255 (a score), written without number formatting machinery.
    pub fn small(mut self, name: &str, value: u8) -> Object {
        self.name(name);
        if value >= 100 {
            self.text.push(char::from(b'0' + value / 100));
        }
        if value >= 10 {
            self.text.push(char::from(b'0' + value / 10 % 10));
        }
        self.text.push(char::from(b'0' + value % 10));
        self
    }

    pub fn boolean(mut self, name: &str, value: bool) -> Object {
        self.name(name);
        self.text.push_str(if value { "true" } else { "false" });
        self
    }

    /// A nested object of string members; left out when it has none.
    pub fn strings<'a>(
        mut self,
        name: &str,
        members: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Object {
        let mut inner = Object::new();
        for (key, value) in members {
            inner = inner.string(key, value);
        }
        if inner.text.len() > 1 {
            self.name(name);
            self.text.push_str(&inner.finish());
        }
        self
    }

    pub fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

/// Appends `value` as a JSON string: quotes, backslashes and control characters
/// escaped (RFC 8259 §7), everything else as it is (UTF-8).
fn string(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_written_in_order() {
        let json = Object::new()
            .string("survey_id", "s_demo")
            .small("score", 7)
            .optional("locale", Some("de"))
            .optional("token", None)
            .boolean("confirm", true)
            .finish();
        assert_eq!(
            json,
            r#"{"survey_id":"s_demo","score":7,"locale":"de","confirm":true}"#
        );
    }

    #[test]
    fn small_numbers_have_no_leading_zeros() {
        for (n, text) in [(0, "0"), (9, "9"), (10, "10"), (100, "100"), (255, "255")] {
            assert_eq!(
                Object::new().small("n", n).finish(),
                [r#"{"n":"#, text, "}"].concat()
            );
        }
    }

    #[test]
    fn strings_are_escaped_so_that_nothing_breaks_out() {
        let json = Object::new()
            .string("c", "a \"quote\", a \\ and\na line\t\u{1}é😀")
            .finish();
        assert_eq!(json, r#"{"c":"a \"quote\", a \\ and\na line\t\u0001é😀"}"#);
        assert_eq!(Object::new().string("k\"", "").finish(), r#"{"k\"":""}"#);
    }

    #[test]
    fn an_empty_nested_object_is_left_out() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(Object::new().strings("p", none).finish(), "{}");
        let json = Object::new()
            .strings("p", [("store", "berlin"), ("plan", "pro")])
            .finish();
        assert_eq!(json, r#"{"p":{"store":"berlin","plan":"pro"}}"#);
    }
}
