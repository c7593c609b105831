/*
 * nps.js: the embed loader of the NPS widget — the only part every page pays for.
 *
 *   <script>window.nps = window.nps || function () { (nps.q = nps.q || []).push(arguments) }</script>
 *   <script async src="https://HOST/widget/nps.js" data-survey="s_demo"></script>
 *
 * Per tag it fetches the survey config (or takes it from data-config, where the hosted
 * page /s/{id} writes it: one round trip less), and decides from it whether and when to show
 * the survey (triggers.js: device throttle, URL rules, sampling, tracked events, then
 * the first of delay / scroll / exit intent). Only then does it import ./nps-app.js
 * (the wasm-bindgen glue, an ES module) and the wasm, once per page, and call
 * mount(shadowRoot, options) with the config it already has. data-force, data-token
 * and a valid data-score skip triggers and throttle.
 *
 * window.nps is the only global: commands nps('show', {token?, score?}),
 * nps('identify', {id?, email?, user_hash?, properties?}), nps('track', name), nps('hide'), queued
 * in nps.q before this script arrived. Every command is kept and also given to tags
 * that load later; an object argument with `survey` limits it to that survey's tags.
 * It dispatches nps:shown, nps:submitted and nps:dismissed on document. Data attributes:
 * see widget/README.md. Failures are console.warn, never page errors.
 *
 * Answers and comments that could not be sent (offline) wait in localStorage under
 * nps:o:<key>; a page load that finds one loads the wasm to send them (flush), whether or not a survey
 * shows. Performance marks nps:start (this script runs) and nps:interactive (the
 * scale takes input) measure the widget's start (e2e/bench/widget-speed.mjs).
 */
performance.mark('nps:start');
import {
  deviceSample, gatesPass, isExitIntent, presetScore, recordText,
  scrolledPercent, throttled,
} from './triggers.js';

// Only valid while this script runs for the first time, so read it now.
const script = document.currentScript;
const win = window;
const doc = document;
const warn = (what) => console.warn('nps-widget', what);

// localStorage without its exceptions (blocked storage, quota): get with one argument,
// set with two. A browser that cannot remember is asked as if it never was.
function storage(key, value) {
  try {
    return value == null ? localStorage.getItem(key) : localStorage.setItem(key, value);
  } catch {
    return null;
  }
}

// The page-wide state on the real window.nps: the tags' command handlers, every
// command so far (the stub's queue first; replayed to tags that load later), and the
// promise of the started glue and wasm (one per page, however many tags).
function page() {
  let nps = win.nps;
  if (nps?.s) return nps.s;
  const s = { tags: [], log: (nps && nps.q) || [] };
  nps = win.nps = (...args) => {
    s.log.push(args);
    s.tags.forEach((run) => run(args));
  };
  nps.s = s;
  return s;
}

function start() {
  // No currentScript (an ES module, or run later by a tag manager) throws here.
  const data = script.dataset;
  const survey = data.survey;
  if (!survey) return warn('data-survey?');
  const url = (name) => new URL(name, script.src);
  const api = (data.api || url('/').href).replace(/\/$/, '');
  // The visitor's languages, best first: data-locale, <html lang>, navigator.languages
  // (an absent one is an empty item, which the worker skips). The worker answers in the
  // first it (or the survey) speaks, with every word.
  const locale = [data.locale, doc.documentElement.lang, ...navigator.languages].join();
  const key = 'nps:' + survey;
  const tracked = new Set();
  // data-respondent-id / -email / -hash (the shop server's user_hash) and data-prop-*.
  const who = { properties: {} };
  for (const { name, value } of script.attributes) {
    const [, kind, rest] = name.match(/^data-(prop|respondent)-(.+)/) || [];
    if (kind > 'r') who[rest == 'hash' ? 'user_hash' : rest] = value;
    else if (kind) who.properties[rest] = value;
  }
  let host; // the <nps-widget> element while the survey is shown
  let answered;
  let check = () => {}; // re-checks the gates when an event is tracked
  const state = page();

  // data-config: the config itself (the hosted page /s/{id} writes it into its tag).
  const config = Promise.resolve(data.config ? new Response(data.config) : fetch(`${api}/v1/surveys/${encodeURIComponent(survey)}/config?locale=${encodeURIComponent(locale)}`))
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)));

  // The glue and the wasm are fetched side by side (one round trip, not two); the
  // wasm compiles while it streams in.
  const app = (wasm) =>
    (state.app ||= (
      (wasm = fetch(url('nps_widget_bg.wasm'))),
      import(url('nps-app.js')).then((m) => m.default({ module_or_path: wasm }).then(() => m))
    ));

  // Fired by the wasm: shown, submitted {score, category}, dismissed {score?, category?},
  // and already (a 409: answered before) and queued (kept in the outbox, sent later),
  // which only set the throttle.
  const on = (kind, detail) => {
    if (kind == 'dismissed') {
      // Closed after answering: the answer's longer wait stands.
      if (!answered) storage(key, recordText(Date.now(), 1));
      hide();
    } else if (kind != 'shown') {
      answered = 1;
      storage(key, recordText(Date.now()));
    }
    // shown, submitted, dismissed (not already, queued)
    if (/^[sd]/.test(kind)) {
      doc.dispatchEvent(new CustomEvent('nps:' + kind, { bubbles: true, detail: { survey, ...detail } }));
    }
  };

  // remove() returns undefined: no host any more.
  const hide = () => (host = host?.remove());

  const show = (preset) => {
    if (host) return;
    const el = (host = doc.createElement('nps-widget'));
    const root = el.attachShadow({ mode: 'open' });
    place(el);
    Promise.all([config, app()])
      // The tag's data-* (survey, locale, position, channel, token, score) as they are;
      // preset: nps('show', {token?, score?}).
      .then(([cfg, m]) => host === el && m.mount(root, { data, preset, api, config: cfg, who: () => who, on }))
      .catch(warn);
  };

  const place = (el) => {
    const selector = data.target;
    const put = () => {
      let into;
      try {
        into = selector && doc.querySelector(selector);
      } catch {
        // not a valid selector: as if it matched nothing
      }
      if (into) return into.appendChild(el);
      if (selector) warn(selector);
      // Where the tag stands (for inline surveys), unless it is in <head>.
      if (doc.body.contains(script)) script.after(el);
      else doc.body.appendChild(el);
    };
    // While the document loads, the target (or the body) may not be parsed yet; the
    // wasm is on its way meanwhile.
    if (doc.readyState == 'loading') doc.addEventListener('DOMContentLoaded', put);
    else put();
  };

  // The first of the configured moments shows the survey; none configured: at once.
  const moments = (t) => {
    const stop = new AbortController();
    const go = () => {
      stop.abort();
      clearTimeout(timer);
      show();
    };
    const listen = (target, type, fn) => target.addEventListener(type, fn, { signal: stop.signal });
    const timer = t.delay_seconds > 0 && setTimeout(go, t.delay_seconds * 1e3);
    if (t.scroll_percent > 0) {
      const scrolled = () => scrolledPercent(win.scrollY, win.innerHeight, doc.documentElement.scrollHeight) >= t.scroll_percent && go();
      listen(win, 'scroll', scrolled);
      // Before the page is parsed its height says nothing yet.
      if (doc.readyState != 'loading') scrolled();
    }
    // Desktop only: a touch screen has no pointer to leave by, so it never fires there.
    if (t.exit_intent && win.matchMedia('(hover:hover) and (pointer:fine)').matches) {
      listen(doc, 'mouseout', (e) => isExitIntent(e) && go());
    }
    if (!(timer || t.scroll_percent > 0 || t.exit_intent)) go();
  };

  const commands = {
    show,
    hide,
    track(name) {
      tracked.add(name);
      check();
    },
    // {id?, email?, user_hash?, properties?}: strings kept as strings, all else as text.
    identify(a) {
      for (const k in a) {
        if (k == 'properties') for (const p in a[k]) who[k][p] = '' + a[k][p];
        else if (a[k] != null) who[k] = '' + a[k];
      }
    },
  };
  const run = ([command, arg]) => (arg?.survey && arg.survey !== survey) || commands[command]?.(arg);

  // A forced, invited or prefilled survey loads the config and the wasm side by side.
  if (data.force == 'true' || data.token || presetScore(data.score)) show();
  else config.then((cfg) => {
    const t = cfg.triggers || {};
    if (t.manual || throttled(storage(key), Date.now(), cfg.throttle)) return;
    const device = deviceSample(storage('nps:sample'), Math.random);
    storage('nps:sample', '' + device);
    let armed;
    check = () => {
      if (!armed && gatesPass(t, location.href, device, survey, tracked)) {
        armed = 1;
        moments(t);
      }
    };
    check();
  }, warn);

  // Answers an earlier page could not send.
  try {
    if (/nps:o:/.test(Object.keys(localStorage))) app().then((m) => m.flush(), warn);
  } catch {
    // no storage: no outbox either
  }

  state.tags.push(run);
  state.log.forEach(run);
}

try {
  start();
} catch (error) {
  warn(error);
}
