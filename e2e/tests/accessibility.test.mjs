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

// What axe cannot judge on its own (WCAG 2.2 AA): target sizes, visible focus, focus
// given back on close, reduced motion, the thanks announced through a live region that
// was there before it.
const inWidget = (page, fn, arg) => page.evaluate(([body, a]) =>
  new Function('root', 'arg', body)(document.querySelector('nps-widget').shadowRoot, a), [fn, arg]);

test('targets are at least 24 px, focus is visible and the thanks is announced', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  for (const viewport of [{ width: 1100, height: 700 }, { width: 320, height: 640 }]) {
    const page = await browser.newPage({ viewport });
    const demo = await new DemoPage(page).open();
    const targets = [...await page.getByRole('radio').all(), page.getByTestId('nps-dismiss')];
    for (const target of targets) {
      const box = await target.boundingBox();
      assert.ok(box.width >= 24 && box.height >= 24, `${viewport.width}px: ${JSON.stringify(box)}`);
    }
    await demo.score(5).focus();
    await page.keyboard.press('ArrowRight');
    const ring = await inWidget(page, `const s = getComputedStyle(root.activeElement);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), name: root.activeElement.textContent }`);
    assert.equal(ring.name, '6');
    assert.equal(ring.style, 'solid', 'a keyboard focus ring');
    assert.ok(ring.width >= 2);

    await inWidget(page, `root.querySelector('[role=status]').dataset.before = 'yes'`);
    await page.keyboard.press('Enter');
    await demo.comment().waitFor();
    const send = await demo.submit().boundingBox();
    assert.ok(send.width >= 24 && send.height >= 24);
    await demo.submit().click();
    await demo.thanks().waitFor();
    const live = await inWidget(page, `const p = root.querySelector('[data-testid=nps-thanks]');
      return { role: p.parentElement.getAttribute('role'), before: p.parentElement.dataset.before }`);
    assert.deepEqual(live, { role: 'status', before: 'yes' }, 'the thanks goes into an existing live region');
    await page.close();
  }
});

test('closing gives focus back to where it was before the widget opened', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await new DemoPage(page).open();
  await page.evaluate(() => nps('hide'));
  await page.locator('nps-widget').waitFor({ state: 'detached' });
  await page.locator('#host-button').focus();
  await page.evaluate(() => nps('show'));
  await page.getByRole('radio').first().waitFor();
  await page.keyboard.press('Tab'); // the "ask me again" link
  await page.keyboard.press('Tab'); // the close button
  await page.keyboard.press('Tab'); // the scale
  assert.equal(await inWidget(page, `return root.activeElement?.getAttribute('role')`), 'radio');
  await page.keyboard.press('Escape');
  await page.locator('nps-widget').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'host-button');
});

test('prefers-reduced-motion stops the entrance animation', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const animation = async (reducedMotion) => {
    const page = await browser.newPage({ reducedMotion });
    await new DemoPage(page).open();
    const name = await inWidget(page, `return getComputedStyle(root.querySelector('.card')).animationName`);
    await page.close();
    return name;
  };
  assert.equal(await animation('no-preference'), 'nps-in');
  assert.equal(await animation('reduce'), 'none');
});
