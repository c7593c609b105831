// axe-core (WCAG 2.2 A/AA rules) on every state of the widget: the question, the
// follow-up, the thanks. The widget lives in a shadow root; axe checks inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launch, DemoPage } from '../lib/browser.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

async function violations(page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const result = await window.axe.run({ include: [['nps-widget']] }, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

test('every state of the widget passes axe-core with no violations', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const demo = await new DemoPage(page).open();
  await page.waitForTimeout(800); // the card has faded in: contrast is measured at full opacity
  assert.deepEqual(await violations(page), [], 'the question');

  await demo.score(2).click();
  await demo.comment().waitFor();
  await page.waitForTimeout(300);
  assert.deepEqual(await violations(page), [], 'the follow-up');

  await demo.comment().fill('Too slow');
  await demo.submit().click();
  await demo.thanks().waitFor();
  await page.waitForTimeout(300);
  assert.deepEqual(await violations(page), [], 'the thanks');

  // The control: axe does look inside the shadow root (a nameless button is found).
  await page.evaluate(() => {
    document.querySelector('nps-widget').shadowRoot.appendChild(document.createElement('button'));
  });
  assert.ok((await violations(page)).some((v) => v.startsWith('button-name')), 'axe sees into the shadow root');
});
