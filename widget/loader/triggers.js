/*
 * triggers.js: the loader's decisions, as pure functions (no DOM, no storage, no clock),
 * so that `node --test widget/loader/triggers.test.mjs` checks them. The semantics are
 * those of `Triggers` and `Throttle` in shared/src/api.rs. Bundled into nps.js.
 */

const DAY_MS = 864e5;

/**
 * What `localStorage['nps:<survey_id>']` holds: `<ms>` after an answer (the format
 * the widget has always written) and `<ms>:d` after a dismissal. parseFloat reads both,
 * so an older loader sees a dismissal as an answer (the longer wait) — never less.
 */
export const recordText = (nowMs, dismissed) => nowMs + (dismissed ? ':d' : '');

/** Whether the device throttle holds the survey back, given the stored record (see
 * recordText; anything that is not a time holds nothing back): `throttle.days` after
 * an answer, `throttle.dismissed_days` (default 14) after a dismissal. */
export function throttled(text, nowMs, throttle) {
  const at = parseFloat(text);
  const days = /:d$/.test(text) ? (throttle.dismissed_days ?? 14) : throttle.days;
  return nowMs - at < days * DAY_MS && isFinite(at);
}

/** URL rules: any one matches; none means every page. A bad regex matches nothing. */
export function urlMatches(rules, href) {
  return !rules?.length || rules.some(({ match, value }) => {
    try {
      return match === 'exact' ? href === value
        : match === 'contains' ? href.includes(value)
        : match === 'regex' && new RegExp(value).test(href);
    } catch {
      return false;
    }
  });
}

/** FNV-1a 32 of the UTF-16 code units: spreads survey ids over the sample buckets. */
export function fnv1a32(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/**
 * The device's sampling value: what `localStorage['nps:sample']` holds if it is a
 * non-negative integer, else a new random one from 0 to 9999 (which the loader stores).
 */
export function deviceSample(text, random) {
  const n = text ? Number(text) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : Math.floor(random() * 1e4);
}

/** The device's bucket (0–99) for a survey: stable per device and survey, and
 * different surveys sample different visitors. */
export const bucket = (device, surveyId) => (device + fnv1a32(surveyId)) % 100;

/**
 * The gates, all of which must pass: URL rules (against `href`), sampling (the
 * device's bucket for `surveyId` below `sample_percent`), and, if the survey lists
 * events, one of them in `tracked` (a Set of the names given to nps('track', name)).
 */
export function gatesPass(triggers, href, device, surveyId, tracked) {
  const events = triggers.events || [];
  return urlMatches(triggers.url_rules, href)
    && bucket(device, surveyId) < (triggers.sample_percent ?? 100)
    && (!events.length || events.some((name) => tracked.has(name)));
}

/** How far down the page the visitor has scrolled, 0–100; a page that does not
 * scroll has been seen whole (100). */
export function scrolledPercent(scrollTop, viewportHeight, pageHeight) {
  const room = pageHeight - viewportHeight;
  return room > 0 ? (scrollTop / room) * 100 : 100;
}

/** Exit intent: a `mouseout` to nowhere (out of the window) through the top edge. */
export const isExitIntent = (event) => event.relatedTarget == null && event.clientY <= 0;

/** `data-score` / `show({score})`: 0–10 in decimal digits, else no preset. */
export const presetScore = (text) => /^\d\d?$/.test(text) && +text <= 10;
