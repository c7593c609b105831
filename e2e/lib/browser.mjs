// Debian's Chromium through playwright-core (never a downloaded browser), and a page
// object for the demo shop page with the embedded widget.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { BASE_URL } from './server.mjs';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The demo shop page at /demo, seen through the widget's accessible roles. */
export class DemoPage {
  constructor(page) {
    this.page = page;
  }

  async open(query = '') {
    await this.page.goto(`${BASE_URL}/demo${query}`);
    await this.widget().waitFor({ state: 'visible', timeout: 20_000 });
    return this;
  }

  widget() { return this.page.getByTestId('nps-widget'); }
  scale() { return this.page.getByRole('radiogroup'); }
  score(n) { return this.page.getByRole('radio', { name: String(n), exact: true }); }
  comment() { return this.page.getByRole('textbox'); }
  submit(label = 'Send') { return this.page.getByRole('button', { name: label, exact: true }); }
  thanks() { return this.page.getByTestId('nps-thanks'); }

  /** Saves a screenshot under e2e/artifacts (kept when a test fails). */
  async screenshot(name) {
    mkdirSync('e2e/artifacts', { recursive: true });
    await this.page.screenshot({ path: `e2e/artifacts/${name}.png`, fullPage: true });
  }
}
