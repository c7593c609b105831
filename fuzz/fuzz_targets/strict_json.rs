//! Strict JSON (request bodies): `json::parse_strict_slice` reads exactly what
//! `serde_json` reads, except that it refuses an object naming a key twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nps_shared::json::{self, StrictJsonError};

fuzz_target!(|data: &[u8]| {
    let strict = json::parse_strict_slice(data);
    let loose = serde_json::from_slice::<serde_json::Value>(data);
    match (&strict, &loose) {
        (Ok(value), Ok(same)) => assert_eq!(value, same),
        (Ok(_), Err(e)) => panic!("strict accepted what serde_json refuses: {e}"),
        // serde_json may fail later in the text than the duplicate that stopped us.
        (Err(StrictJsonError::DuplicateKey { line, .. }), _) => assert!(*line >= 1),
        (Err(StrictJsonError::Syntax(e)), Ok(_)) => {
            panic!("strict refused what serde_json reads, without a duplicate: {e}")
        }
        (Err(StrictJsonError::Syntax(_)), Err(_)) => {}
    }
    // What we write (one key per object) always reads back strictly. (Compared with
    // serde_json's reading of it, not with `value`: without `float_roundtrip` a
    // printed float may read back one bit off, in serde_json as here.)
    if let Ok(value) = strict {
        let text = serde_json::to_string(&value).expect("a Value serialises");
        let again = json::parse_strict(&text).expect("written JSON reads back strictly");
        assert_eq!(Some(again), serde_json::from_str(&text).ok());
    }
});
