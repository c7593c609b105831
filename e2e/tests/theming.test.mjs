// Theming: the survey's theme (brand colour, radius, font) and the page's CSS custom
// properties (--nps-brand, --nps-radius, --nps-font on the host element or above),
// which win; the default theme keeps WCAG AA contrast.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, BASE_URL, demoDefinition } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(() => browser?.close());

async function survey(theme) {
  const definition = await demoDefinition();
  const created = await admin('/v1/surveys', { method: 'POST', body: { ...definition, name: 'Theme', theme } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

async function open(t, id, css) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  if (css) await page.addInitScript((text) => {
    document.addEventListener('DOMContentLoaded', () => {
      const style = document.createElement('style');
      style.textContent = text;
      document.head.append(style);
    });
  }, css);
  await page.goto(`${BASE_URL}/demo/triggers.html?survey=${id}&data-force=true`);
  await page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });
  await page.waitForTimeout(400); // the entrance animation
  return page;
}

/** Computed styles inside the shadow root: the card's radius and font. */
const looks = (page) => page.locator('nps-widget').evaluate((host) => {
  const root = host.shadowRoot;
  const card = getComputedStyle(root.querySelector('.card'));
  return { radius: card.borderTopLeftRadius, font: card.fontFamily };
});

const brandOfChosen = async (page) => {
  await page.route('**/v1/responses', (route) => route.fulfill({ status: 422, contentType: 'application/problem+json', body: '{"title":"x","status":422}' }));
  await page.getByRole('radio', { name: '6', exact: true }).click();
  await page.getByTestId('nps-error').waitFor();
  await page.waitForTimeout(300); // the colour transition
  return page.getByRole('radio', { name: '6', exact: true }).evaluate((el) => getComputedStyle(el).backgroundColor);
};

test('the survey theme sets brand colour, radius and font', async (t) => {
  const id = await survey({ accent: '#b91c1c', position: 'bottom-right', radius: 4, font: 'Georgia, serif' });
  const page = await open(t, id);
  const look = await looks(page);
  assert.equal(look.radius, '4px');
  assert.match(look.font, /^Georgia, serif$/);
  assert.equal(await brandOfChosen(page), 'rgb(185, 28, 28)');
});

test('custom properties on the page override the survey theme inside the shadow root', async (t) => {
  const id = await survey({ accent: '#b91c1c', position: 'bottom-right', radius: 4 });
  const page = await open(t, id, ':root { --nps-brand: #7c3aed; --nps-font: "Courier New", monospace } nps-widget { --nps-radius: 0px }');
  const look = await looks(page);
  assert.equal(look.radius, '0px');
  assert.match(look.font, /Courier New/);
  assert.equal(await brandOfChosen(page), 'rgb(124, 58, 237)');
});

test('a theme that could break out of the stylesheet is refused', async () => {
  const definition = await demoDefinition();
  const bad = await admin('/v1/surveys', {
    method: 'POST',
    body: { ...definition, theme: { accent: '#2563eb', position: 'inline', font: 'x);} * {display:none' } },
  });
  assert.equal(bad.status, 422);
  assert.match(JSON.stringify(bad.body), /theme\.font/);
});

test('the default theme has at least 4.5:1 contrast for its text and the chosen score', async (t) => {
  const id = await survey({ accent: '#2563eb', position: 'bottom-right' });
  const page = await open(t, id);
  const pairs = await page.locator('nps-widget').evaluate((host) => {
    const root = host.shadowRoot;
    const rgb = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const card = getComputedStyle(root.querySelector('.card')).backgroundColor;
    const out = {};
    for (const sel of ['#nps-q', '.ends span', '[role=radio]', '.x']) {
      const s = getComputedStyle(root.querySelector(sel));
      const bg = s.backgroundColor === 'rgba(0, 0, 0, 0)' ? card : s.backgroundColor;
      out[sel] = ratio(s.color, bg);
    }
    out.chosen = ratio('rgb(255, 255, 255)', 'rgb(37, 99, 235)');
    return out;
  });
  for (const [what, ratio] of Object.entries(pairs)) assert.ok(ratio >= 4.5, `${what}: ${ratio.toFixed(2)}:1`);
});
