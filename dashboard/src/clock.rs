//! Times as the person at the screen reads them: RFC 3339 instants from the API shown
//! in the browser's time zone, at the offset that zone had at that instant (so a time
//! from before a daylight-saving change is not off by an hour). The arithmetic is in
//! `format::local_time`; this only asks the browser for the offset.

use leptos::prelude::*;

use crate::format;

/// Minutes east of UTC in the browser's zone at `rfc3339_utc` (now, if unreadable).
pub fn offset_at(rfc3339_utc: &str) -> i32 {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339_utc));
    let offset = date.get_timezone_offset();
    if offset.is_finite() {
        -(offset as i32)
    } else {
        offset_now()
    }
}

/// Minutes east of UTC in the browser's zone now.
pub fn offset_now() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// Minutes east of UTC in the browser's zone at local midnight of `date`
/// (`YYYY-MM-DD`); `None` if it is not such a date.
pub fn offset_on(date: &str) -> Option<i32> {
    let mut parts = date.split('-').map(|p| p.parse::<i32>().ok());
    let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || year < 1 || !(1..=12).contains(&month) || !(1..=31).contains(&day)
    {
        return None;
    }
    let midnight = js_sys::Date::new_with_year_month_day(year.unsigned_abs(), month - 1, day);
    let offset = midnight.get_timezone_offset();
    offset.is_finite().then(|| -(offset as i32))
}

/// The browser's IANA time zone (`Europe/Berlin`), if it says.
pub fn zone_name() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()?
        .as_string()
        .filter(|zone| !zone.is_empty())
}

/// "2026-10-03 16:05" in the browser's zone.
pub fn local_time(rfc3339_utc: &str) -> String {
    format::local_time(rfc3339_utc, offset_at(rfc3339_utc))
}

/// A `<time>` showing the local time, with the UTC instant as its machine value and
/// tooltip.
pub fn time_view(rfc3339_utc: &str) -> impl IntoView + use<> {
    let shown = local_time(rfc3339_utc);
    let utc = format!("{} UTC", format::local_time(rfc3339_utc, 0));
    view! { <time datetime=rfc3339_utc.to_owned() title=utc>{shown}</time> }
}
