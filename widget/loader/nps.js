/*
 * nps.js: the embed loader of the NPS widget.
 *
 *   <script async src="https://HOST/widget/nps.js" data-survey="s_demo"></script>
 *
 * Attributes: data-survey (required), data-locale (default: <html lang>, then the
 * browser's language), data-api (default: the origin this script came from),
 * data-respondent-id, data-respondent-email, data-prop-<name>="value" (string
 * properties of the answer), data-force="true" (ignore the once-per-N-days throttle),
 * data-target="#css-selector" (render into that element), data-position="inline|
 * bottom-right|bottom-left" (overrides the theme). For the hosted survey page and
 * e-mail invitations: data-token (the invitation), data-channel="email|link" and
 * data-score="0".."10" (the score chosen in the e-mail: sent at once). The wasm checks
 * the values; a wrong data-score or data-position is ignored.
 *
 * It adds one <nps-widget> element with an open shadow root and nothing else to the
 * page; all markup and CSS live in that shadow root. The wasm is fetched once per page,
 * however many tags there are. It fails silently (console.warn).
 *
 * build.sh bundles this file with wasm-bindgen's `--target web` glue, which it puts
 * beside a copy of this file as ./nps_widget.js, into one IIFE. A page whose CSP has
 * `script-src` must allow 'wasm-unsafe-eval' for the wasm to compile.
 */
import init, { mount } from './nps_widget.js';

// Only valid while this script runs for the first time, so read it now.
const script = document.currentScript;
const TAG = 'nps-widget';

const warn = (...args) => console.warn('nps-widget:', ...args);

// Options for mount(): what the tag says, with the defaults filled in.
function readOptions(tag) {
  const data = tag.dataset;
  const properties = {};
  for (const { name, value } of tag.attributes) {
    if (name.startsWith('data-prop-') && name.length > 10) properties[name.slice(10)] = value;
  }
  return {
    survey: data.survey,
    api: data.api || new URL(tag.src).origin,
    locale: data.locale || document.documentElement.lang || navigator.language || 'en',
    respondentId: data.respondentId || undefined,
    respondentEmail: data.respondentEmail || undefined,
    properties,
    force: data.force === 'true',
    token: data.token || undefined,
    channel: data.channel || undefined,
    score: data.score || undefined,
    position: data.position || undefined,
  };
}

// The host element's class carries the one wasm instance of the page, so a second
// tag reuses it instead of fetching and instantiating the wasm again.
function hostClass(wasmUrl) {
  const registry = window.customElements;
  if (!registry) return null;
  let Host = registry.get(TAG);
  if (!Host) {
    let ready;
    Host = class extends HTMLElement {
      static mount(root, options) {
        ready ||= init({ module_or_path: wasmUrl });
        return ready.then(() => mount(root, options));
      }
    };
    registry.define(TAG, Host);
  }
  return Host;
}

function start() {
  if (!script || !script.src) return warn('cannot find its own <script> tag');
  const options = readOptions(script);
  if (!options.survey) return warn('data-survey is missing on', script);

  const Host = hostClass(new URL('nps_widget_bg.wasm', script.src).href);
  const host = document.createElement(Host ? TAG : 'div');
  const root = host.attachShadow({ mode: 'open' });
  const selector = script.dataset.target;
  const target = () => {
    try {
      return selector ? document.querySelector(selector) : null;
    } catch {
      return null; // not a valid selector: as if it matched nothing
    }
  };
  const place = () => {
    const into = target();
    if (into) return into.appendChild(host);
    if (selector) warn('data-target matches nothing:', selector);
    // Where the tag stands (for inline surveys), unless it is in <head>.
    if (document.body.contains(script)) script.after(host);
    else document.body.appendChild(host);
  };
  // A target further down the page may not be parsed yet while the document loads.
  if (document.body && (!selector || target() || document.readyState !== 'loading')) place();
  else document.addEventListener('DOMContentLoaded', place, { once: true });

  const run = Host
    ? Host.mount(root, options)
    : init({ module_or_path: new URL('nps_widget_bg.wasm', script.src) }).then(() => mount(root, options));
  run.catch((error) => warn('could not start', error));
}

try {
  start();
} catch (error) {
  warn('could not start', error);
}
