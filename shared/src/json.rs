//! Strict JSON for request bodies: like `serde_json`, but an object that names the same
//! key twice, at any depth, is refused. `serde_json` keeps the last duplicate, so
//! `{"score":3,"score":10}` would be read as a promoter by us and perhaps as a
//! detractor by a proxy or log reader in front of us; refusing it leaves one meaning.

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// Why a body is not strict JSON.
#[derive(Debug, thiserror::Error)]
pub enum StrictJsonError {
    /// An object holds `key` twice (compared after unescaping, as `serde_json` would).
    #[error("duplicate key {key:?} in an object at line {line} column {column}")]
    DuplicateKey {
        key: String,
        line: usize,
        column: usize,
    },
    /// Not JSON at all: `serde_json`'s own message, with line and column.
    #[error("{0}")]
    Syntax(serde_json::Error),
}

/// Parses one JSON text.
pub fn parse_strict(text: &str) -> Result<Value, StrictJsonError> {
    parse_strict_slice(text.as_bytes())
}

/// Parses one JSON text from bytes (invalid UTF-8 is a syntax error). Nesting is
/// limited as in `serde_json` (128 levels), so hostile depth is an error, not a stack
/// overflow.
pub fn parse_strict_slice(bytes: &[u8]) -> Result<Value, StrictJsonError> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = StrictValue {
        duplicate: &duplicate,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|error| match duplicate.take() {
        // serde_json stops at the first error, so the one raised is this one, and it
        // carries the position just after the repeated key.
        Some(key) => StrictJsonError::DuplicateKey {
            key,
            line: error.line(),
            column: error.column(),
        },
        None => StrictJsonError::Syntax(error),
    })
}

/// Builds a `Value` as `serde_json`'s own visitor does, but remembers the first key an
/// object repeats in `duplicate` and stops there.
struct StrictValue<'a> {
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue {
            duplicate: self.duplicate,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let message = format!("duplicate key {key:?}");
                *self.duplicate.borrow_mut() = Some(key);
                return Err(serde::de::Error::custom(message));
            }
            let value = map.next_value_seed(StrictValue {
                duplicate: self.duplicate,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_duplicate_key_is_refused_and_named() {
        let error = parse_strict(r#"{"score":3,"score":10}"#).expect_err("a duplicate");
        assert!(
            matches!(&error, StrictJsonError::DuplicateKey { key, .. } if key == "score"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "duplicate key \"score\" in an object at line 1 column 18"
        );
    }

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        for (text, key) in [
            (r#"{"respondent":{"id":"a","id":"b"}}"#, "id"),
            (r#"{"properties":{"plan":"pro","plan":"free"}}"#, "plan"),
            (r#"[1,{"a":[{"b":1,"b":1}]}]"#, "b"),
            (r#"{"a":1,"b":2,"a":1}"#, "a"),
            (r#"{"":1,"":2}"#, ""),
        ] {
            match parse_strict(text) {
                Err(StrictJsonError::DuplicateKey { key: named, .. }) => {
                    assert_eq!(named, key, "{text}")
                }
                other => panic!("{text} gave {other:?}"),
            }
        }
    }

    #[test]
    fn keys_are_compared_after_unescaping() {
        assert!(matches!(
            parse_strict(r#"{"score":3,"\u0073core":10}"#),
            Err(StrictJsonError::DuplicateKey { key, .. }) if key == "score"
        ));
    }

    #[test]
    fn the_same_key_in_sibling_objects_is_fine() {
        let text = r#"{"a":{"id":1},"b":{"id":2},"c":[{"id":3},{"id":4}]}"#;
        assert_eq!(
            parse_strict(text).expect("valid"),
            json!({"a":{"id":1},"b":{"id":2},"c":[{"id":3},{"id":4}]})
        );
    }

    #[test]
    fn strict_json_reads_what_serde_json_reads_when_no_key_repeats() {
        for text in [
            r#"{"survey_id":"s_demo","score":9,"comment":"gut \u00fc","properties":{"n":"1"}}"#,
            r#"[1, -2, 3.5, 1e300, 18446744073709551615, -9223372036854775808, true, false, null]"#,
            r#"  "text"  "#,
            "0",
            "{}",
            "[]",
        ] {
            let loose: Value = serde_json::from_str(text).expect("valid JSON");
            assert_eq!(parse_strict(text).expect("strict"), loose, "{text}");
        }
    }

    #[test]
    fn what_is_not_json_is_a_syntax_error() {
        for text in [
            "",
            "{",
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            "[1,2",
            "nul",
            r#"{"a" 1}"#,
        ] {
            assert!(
                matches!(parse_strict(text), Err(StrictJsonError::Syntax(_))),
                "{text:?}"
            );
        }
        assert!(matches!(
            parse_strict_slice(b"\"\xff\""),
            Err(StrictJsonError::Syntax(_))
        ));
    }

    #[test]
    fn deep_nesting_is_a_syntax_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            parse_strict(&deep),
            Err(StrictJsonError::Syntax(_))
        ));
    }
}
