// Unit tests of the loader's decisions: node --test widget/loader/triggers.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bucket, deviceSample, fnv1a32, gatesPass, isExitIntent, presetScore, recordText,
  scrolledPercent, throttled, urlMatches,
} from './triggers.js';

const DAY = 864e5;
const NOW = 1_764_000_000_000;
const THROTTLE = { days: 90, dismissed_days: 14 };

test('a browser that never answered is asked', () => {
  assert.equal(throttled(null, NOW, THROTTLE), false);
  assert.equal(throttled('', NOW, THROTTLE), false);
});

test('an answer holds the survey back for throttle.days, to the millisecond', () => {
  assert.equal(throttled(recordText(NOW - DAY), NOW, THROTTLE), true);
  assert.equal(throttled(recordText(NOW - 90 * DAY + 1), NOW, THROTTLE), true);
  assert.equal(throttled(recordText(NOW - 90 * DAY), NOW, THROTTLE), false);
});

test('a dismissal holds it back for dismissed_days only', () => {
  const dismissed = recordText(NOW - 13 * DAY, true);
  assert.equal(dismissed, `${NOW - 13 * DAY}:d`);
  assert.equal(throttled(dismissed, NOW, THROTTLE), true);
  assert.equal(throttled(recordText(NOW - 14 * DAY, true), NOW, THROTTLE), false);
  // A config without dismissed_days (an older worker): 14 days.
  assert.equal(throttled(recordText(NOW - 13 * DAY, true), NOW, { days: 90 }), true);
  assert.equal(throttled(recordText(NOW - 15 * DAY, true), NOW, { days: 90 }), false);
});

test('the stored format of older widgets still counts as an answer', () => {
  // What the wasm used to write: the time in ms, nothing else.
  assert.equal(throttled(String(NOW - 30 * DAY), NOW, THROTTLE), true);
  // And an older reader (parseFloat) still sees the time in a dismissal.
  assert.equal(parseFloat(recordText(NOW, true)), NOW);
});

test('zero days means always ask, and a garbled record blocks nothing', () => {
  assert.equal(throttled(recordText(NOW), NOW, { days: 0, dismissed_days: 0 }), false);
  for (const text of ['soon', 'NaN', ':d', 'Infinity-ish']) {
    assert.equal(throttled(text, NOW, THROTTLE), false, text);
  }
});

test('no URL rules match every page', () => {
  assert.equal(urlMatches([], 'https://shop.example/'), true);
  assert.equal(urlMatches(undefined, 'https://shop.example/'), true);
});

test('exact compares the whole URL, contains a substring, regex the JavaScript way', () => {
  const href = 'https://shop.example/checkout/done?order=7';
  assert.equal(urlMatches([{ match: 'exact', value: href }], href), true);
  assert.equal(urlMatches([{ match: 'exact', value: 'https://shop.example/checkout/done' }], href), false);
  assert.equal(urlMatches([{ match: 'contains', value: '/checkout/' }], href), true);
  assert.equal(urlMatches([{ match: 'contains', value: '/cart' }], href), false);
  assert.equal(urlMatches([{ match: 'regex', value: 'order=\\d+$' }], href), true);
  assert.equal(urlMatches([{ match: 'regex', value: '^http:' }], href), false);
});

test('any one rule is enough, and a broken regex or unknown kind matches nothing', () => {
  const href = 'https://shop.example/cart';
  assert.equal(urlMatches([{ match: 'regex', value: '(' }, { match: 'contains', value: 'cart' }], href), true);
  assert.equal(urlMatches([{ match: 'regex', value: '(' }], href), false);
  assert.equal(urlMatches([{ match: 'glob', value: '*' }], href), false);
});

test('fnv1a32 is FNV-1a 32', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
});

test('the device value is kept when it is one, else drawn once', () => {
  assert.equal(deviceSample('4711', () => 0.5), 4711);
  assert.equal(deviceSample('0', () => 0.5), 0);
  for (const text of [null, '', '-1', '1.5', 'abc']) {
    assert.equal(deviceSample(text, () => 0.12345), 1234, String(text));
  }
});

test('a device is in a sample of 100 always, and in one of 1 for one bucket in 100', () => {
  const base = { url_rules: [], events: [] };
  const open = (device, percent) => gatesPass({ ...base, sample_percent: percent }, 'https://x/', device, 's_a', new Set());
  let inOne = 0;
  for (let device = 0; device < 1000; device++) {
    assert.equal(open(device, 100), true);
    assert.equal(open(device, 1), bucket(device, 's_a') === 0);
    if (open(device, 1)) inOne++;
  }
  assert.equal(inOne, 10);
  // Without sample_percent: everyone.
  assert.equal(gatesPass(base, 'https://x/', 99, 's_a', new Set()), true);
});

test('the bucket is stable per device and survey, and differs between surveys', () => {
  assert.equal(bucket(123, 's_a'), bucket(123, 's_a'));
  assert.ok(bucket(123, 's_a') >= 0 && bucket(123, 's_a') < 100);
  const differ = [...Array(50).keys()].filter((d) => bucket(d, 's_a') !== bucket(d, 's_b')).length;
  assert.ok(differ > 40, `${differ}`);
});

test('events gate until one of them is tracked', () => {
  const t = { events: ['checkout', 'signup'] };
  assert.equal(gatesPass(t, 'https://x/', 0, 's', new Set()), false);
  assert.equal(gatesPass(t, 'https://x/', 0, 's', new Set(['viewed'])), false);
  assert.equal(gatesPass(t, 'https://x/', 0, 's', new Set(['signup'])), true);
});

test('every gate must pass', () => {
  const t = { url_rules: [{ match: 'contains', value: '/done' }], events: ['paid'], sample_percent: 100 };
  assert.equal(gatesPass(t, 'https://x/done', 0, 's', new Set(['paid'])), true);
  assert.equal(gatesPass(t, 'https://x/cart', 0, 's', new Set(['paid'])), false);
  assert.equal(gatesPass(t, 'https://x/done', 0, 's', new Set()), false);
});

test('scroll depth is the share of the scrollable height; a page that does not scroll is seen whole', () => {
  assert.equal(scrolledPercent(0, 800, 2800), 0);
  assert.equal(scrolledPercent(1000, 800, 2800), 50);
  assert.equal(scrolledPercent(2000, 800, 2800), 100);
  assert.equal(scrolledPercent(0, 800, 800), 100);
  assert.equal(scrolledPercent(0, 800, 600), 100);
});

test('exit intent is leaving the window through the top', () => {
  assert.equal(isExitIntent({ relatedTarget: null, clientY: -3 }), true);
  assert.equal(isExitIntent({ relatedTarget: null, clientY: 0 }), true);
  assert.equal(isExitIntent({ relatedTarget: null, clientY: 400 }), false, 'left through a side or the bottom');
  assert.equal(isExitIntent({ relatedTarget: {}, clientY: -3 }), false, 'moved onto another element');
});

test('a preset score is 0 to 10 in one or two digits', () => {
  for (const text of ['0', '6', '10', '03']) assert.equal(presetScore(text), true, text);
  for (const text of [undefined, '', '11', '-1', '3.0', ' 3', '100', 'x']) assert.equal(presetScore(text), false, String(text));
});
