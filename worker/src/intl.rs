//! Time-zone offsets from the runtime's `Intl` (workerd carries ICU's zone data), so
//! the worker ships no time-zone database of its own: `service::reports::ZoneRules`.

use crate::service::reports::ZoneRules;
use nps_shared::time::days_from_civil;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Intl.DateTimeFormat`, bound here with `catch`: an unknown `timeZone` throws a
    /// RangeError, which must become a 422, not a trap.
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    #[derive(Clone)]
    type DateTimeFormat;

    #[wasm_bindgen(catch, constructor, js_namespace = Intl, js_class = "DateTimeFormat")]
    fn new(locale: &str, options: &js_sys::Object) -> Result<DateTimeFormat, JsValue>;

    #[wasm_bindgen(method, js_name = formatToParts)]
    fn format_to_parts(this: &DateTimeFormat, at: f64) -> js_sys::Array;
}

/// Offsets read through one `Intl.DateTimeFormat` per zone. Both the formats and the
/// offsets they gave are kept for the isolate's life (a report of the same survey asks
/// about the same instants again), up to [`MAX_REMEMBERED`] offsets.
pub struct IntlZones;

/// How many (zone, instant) offsets an isolate keeps before it starts afresh.
const MAX_REMEMBERED: usize = 50_000;

thread_local! {
    static FORMATS: RefCell<HashMap<String, Option<DateTimeFormat>>> = RefCell::new(HashMap::new());
    static OFFSETS: RefCell<HashMap<(String, i64), Option<i32>>> = RefCell::new(HashMap::new());
}

impl IntlZones {
    fn format(zone: &str) -> Option<DateTimeFormat> {
        let options = js_sys::Object::new();
        for (key, value) in [
            ("timeZone", zone),
            ("hourCycle", "h23"),
            ("year", "numeric"),
            ("month", "numeric"),
            ("day", "numeric"),
            ("hour", "numeric"),
            ("minute", "numeric"),
            ("second", "numeric"),
        ] {
            js_sys::Reflect::set(&options, &key.into(), &value.into()).ok()?;
        }
        DateTimeFormat::new("en-US", &options).ok()
    }

    /// The offset as `Intl` says it, without the memo.
    fn read(zone: &str, at_ms: i64) -> Option<i32> {
        let format = FORMATS.with(|formats| {
            formats
                .borrow_mut()
                .entry(zone.to_owned())
                .or_insert_with(|| IntlZones::format(zone))
                .clone()
        })?;
        // The wall clock at `at_ms` (whole seconds), read back as if it were UTC.
        let at_second = at_ms - at_ms.rem_euclid(1000);
        let (mut year, mut month, mut day, mut hour, mut minute, mut second) = (0, 0, 0, 0, 0, 0);
        for part in format_to_parts(&format, at_second) {
            let kind = js_sys::Reflect::get(&part, &"type".into())
                .ok()?
                .as_string()?;
            let slot = match kind.as_str() {
                "year" => &mut year,
                "month" => &mut month,
                "day" => &mut day,
                "hour" => &mut hour,
                "minute" => &mut minute,
                "second" => &mut second,
                _ => continue,
            };
            let value = js_sys::Reflect::get(&part, &"value".into())
                .ok()?
                .as_string()?;
            *slot = value.parse::<i64>().ok()?;
        }
        let days = days_from_civil(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?);
        // Some runtimes say 24 for midnight even with h23.
        let wall = days * 86_400_000 + (hour % 24) * 3_600_000 + minute * 60_000 + second * 1000;
        i32::try_from((wall - at_second).div_euclid(60_000)).ok()
    }
}

impl ZoneRules for IntlZones {
    fn offset_minutes(&self, zone: &str, at_ms: i64) -> Option<i32> {
        let key = (zone.to_owned(), at_ms);
        if let Some(known) = OFFSETS.with(|offsets| offsets.borrow().get(&key).copied()) {
            return known;
        }
        let offset = IntlZones::read(zone, at_ms);
        OFFSETS.with(|offsets| {
            let mut offsets = offsets.borrow_mut();
            if offsets.len() >= MAX_REMEMBERED {
                offsets.clear();
            }
            offsets.insert(key, offset);
        });
        offset
    }
}

fn format_to_parts(format: &DateTimeFormat, at_ms: i64) -> Vec<JsValue> {
    // Unix ms fit an f64 exactly for any date a report can ask about.
    #[allow(clippy::cast_precision_loss)]
    format.format_to_parts(at_ms as f64).to_vec()
}
