// The dashboard at /dashboard seen through its roles, labels and test ids.
import { mkdirSync } from 'node:fs';
import { BASE_URL } from './server.mjs';

const TOKEN = process.env.NPS_ADMIN_TOKEN;

export class DashboardPage {
  constructor(page) {
    this.page = page;
  }

  async open() {
    await this.page.goto(`${BASE_URL}/dashboard`);
    await this.tokenField().waitFor({ state: 'visible', timeout: 20_000 });
    return this;
  }

  tokenField() { return this.page.getByLabel('Admin token'); }
  signInButton() { return this.page.getByRole('button', { name: 'Sign in' }); }
  signInError() { return this.page.getByTestId('signin-error'); }
  section(name) { return this.page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true }); }
  headline() { return this.page.getByTestId('nps-headline'); }
  trend() { return this.page.getByTestId('trend-chart'); }
  revenueChart() { return this.page.getByTestId('revenue-chart'); }
  detractorThemes() { return this.page.getByTestId('detractor-themes'); }
  caseRows() { return this.page.getByTestId('case-row'); }
  caseDetail() { return this.page.getByTestId('case-detail'); }
  caseRow(id) { return this.page.locator(`[data-testid="case-row"][data-case-id="${id}"]`); }
  loadMoreCases() { return this.page.getByTestId('cases-load-more'); }
  // The root cause and solution of the selected case, and the playbook page.
  caseCause() { return this.caseDetail().getByLabel('Root cause'); }
  caseSolution() { return this.caseDetail().getByLabel('Solution offered'); }
  caseSuggestions() { return this.caseDetail().getByTestId('case-suggestion'); }
  caseError() { return this.caseDetail().getByTestId('case-error'); }
  playbookCause() { return this.page.getByTestId('playbook-cause'); }
  playbookEntries() { return this.page.getByTestId('playbook-entry'); }
  surveyPicker() { return this.page.locator('.topbar select'); }
  webhook(id) { return this.page.locator(`[data-testid="webhook"][data-webhook-id="${id}"]`); }

  // The survey editor and its preview.
  editor() { return this.page.getByRole('form', { name: 'Survey editor' }); }
  languageTab(name) { return this.editor().getByRole('tablist', { name: 'Languages' }).getByRole('tab', { name: new RegExp(`^${name}`) }); }
  localeField(label) { return this.page.getByTestId('locale-fields').getByLabel(label, { exact: true }); }
  accentField() { return this.editor().locator('#accent-text'); }
  preview() { return this.page.getByTestId('preview'); }
  previewCard() { return this.page.getByTestId('preview-card'); }
  previewQuestion() { return this.page.getByTestId('preview-question'); }
  unsaved() { return this.page.getByTestId('unsaved'); }
  saveButton() { return this.editor().getByRole('button', { name: /^(Save|Create survey)$/ }); }
  editorStatus() { return this.page.getByTestId('editor-status'); }
  fieldError(field) { return this.editor().locator(`.field-error[data-field="${field}"]`); }

  /** Signs in and waits for the report the overview asked for; returns its JSON. */
  async signIn(token = TOKEN) {
    const report = this.page.waitForResponse((r) => r.url().includes('/report?') && r.status() === 200);
    await this.tokenField().fill(token);
    await this.signInButton().click();
    return (await report).json();
  }

  async screenshot(name, options = {}) {
    mkdirSync('e2e/artifacts', { recursive: true });
    await this.page.screenshot({ path: `e2e/artifacts/${name}.png`, fullPage: true, ...options });
  }
}
