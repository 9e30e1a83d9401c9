/**
 * The web console in a real headless browser (the system's Chromium, driven by playwright-core): one local
 * runtime for the file where the sample trained and deployed, an upload with a hostile column name was
 * rejected, and a model with manual approval waits for an operator (scripts/screenshots.ts sets it up).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTO_MODEL,
  type ConsoleScenario,
  HOSTILE_COLUMN,
  hostileCsv,
  launchChromium,
  MANUAL_MODEL,
  openPage,
  startConsoleScenario,
} from '../../scripts/screenshots';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'penguins', 'penguins.csv');

describe('the web console in Chromium', () => {
  let stateDir: string;
  let scenario: ConsoleScenario;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  /** What the page did that it must not: uncaught errors, dialogs (alert), console errors. */
  let pageProblems: string[];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mlops-e2e-console-'));
    browser = await launchChromium();
    scenario = await startConsoleScenario(stateDir, { error: (message) => errors.push(message) });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await scenario?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    pageProblems = [];
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
    page.on('dialog', (dialog) => {
      pageProblems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      // A failed load is reported below with its URL.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageProblems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      // The browser asks for /favicon.ico on its own; the console's page names none.
      if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico')
        pageProblems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    page.on('requestfailed', (request) => pageProblems.push(`failed: ${request.url()}`));
  });

  afterEach(async () => {
    await context?.close();
  });

  it('loads: the page, its script and stylesheet, under the CSP, with no error', async () => {
    // Act
    const response = await page.goto(scenario.url);
    await page.waitForLoadState('networkidle');

    // Assess
    expect(errors).toEqual([]);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe("default-src 'self'");
    expect(await page.title()).toMatch(/console/i);
    expect(await page.locator('main').count()).toBeGreaterThan(0);
    expect(pageProblems).toEqual([]);
  });

  it('serves the page on 127.0.0.1 only', () => {
    expect(new URL(scenario.url).hostname).toBe('127.0.0.1');
  });

  it('opens a route by its hash without a request error', async () => {
    // Act
    await openPage(page, scenario.url, '#/models');

    // Assess
    expect(pageProblems).toEqual([]);
  });

  it('lists the sample model with its production and latest version, and the pending one', async () => {
    // Act
    await openPage(page, scenario.url, '#/models');
    const sample = page
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: AUTO_MODEL, exact: true }) });
    const pending = page
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: MANUAL_MODEL, exact: true }) });
    await sample.waitFor();

    // Assess
    expect(await sample.textContent()).toMatch(/v1[\s\S]*Deployed/);
    expect(await pending.textContent()).toMatch(/v1[\s\S]*PendingApproval/);
    expect(pageProblems).toEqual([]);
  });

  it('opens a model from the list: its versions, aliases and the metric-per-version chart as SVG', async () => {
    // Prepare
    await openPage(page, scenario.url, '#/models');

    // Act
    await page.getByRole('link', { name: AUTO_MODEL, exact: true }).click();
    await page.getByRole('heading', { name: AUTO_MODEL }).waitFor();

    // Assess
    expect(page.url()).toContain(`#/models/${AUTO_MODEL}`);
    const chart = page.getByRole('img', { name: `${AUTO_MODEL}: metric per version` });
    expect(await chart.evaluate((node) => node.tagName)).toBe('svg');
    // v1's point: a mark with its value as a tooltip.
    expect(await chart.locator('title').allTextContents()).toContainEqual(
      expect.stringMatching(/^validation:merror: 1 → /),
    );
    expect(await page.locator('main').textContent()).toMatch(/production[\s\S]*v1/i);
    expect(pageProblems).toEqual([]);
  });

  it('refuses approve without the token: the version stays PendingApproval', async () => {
    // Prepare
    await openPage(page, scenario.url, `#/models/${MANUAL_MODEL}`);

    // Act
    await page.getByRole('button', { name: 'Approve' }).click();
    const status = page.locator('.action-status.error');
    await status.waitFor();

    // Assess
    expect(await status.textContent()).toMatch(/token/i);
    expect((await scenario.app.registry.getVersion(MANUAL_MODEL, 1))?.status).toBe('PendingApproval');
  });

  it('refuses a cross-site form that posts an approval: 403, the version still PendingApproval', async () => {
    // Prepare: another origin's page that submits a form to the console at once (the classic CSRF)
    const action = new URL(`api/models/${MANUAL_MODEL}/versions/1/approve`, scenario.url).href;
    const hostile = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(
        `<form method="post" action="${action}" enctype="text/plain">` +
          '<input name=\'{"reason":"csrf","x":"\' value=\'"}\'></form>' +
          '<script>document.forms[0].submit()</script>',
      );
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const { port } = hostile.address() as AddressInfo;

    try {
      // Act
      const answered = page.waitForResponse(action);
      await page.goto(`http://127.0.0.1:${port}/`);
      const response = await answered;

      // Assess
      expect(response.status()).toBe(403);
      expect((await scenario.app.registry.getVersion(MANUAL_MODEL, 1))?.status).toBe('PendingApproval');
    } finally {
      await new Promise((resolve) => hostile.close(resolve));
    }
  });

  it('approves with the token entered once: the version Approved, the page showing it', async () => {
    // Prepare
    await openPage(page, scenario.url, `#/models/${MANUAL_MODEL}`);
    await page.getByRole('textbox', { name: 'Action token' }).fill(scenario.token);
    await page.getByRole('button', { name: 'Use' }).click();

    // Act
    await page.getByLabel('Reason for v1 (optional)').fill('looked at it in the browser test');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('button', { name: 'Approve' }).waitFor({ state: 'detached' });

    // Assess
    const version = await scenario.app.registry.getVersion(MANUAL_MODEL, 1);
    expect(version?.status).toBe('Approved');
    const row = page.getByRole('row').filter({ hasText: /^v1/ }).first();
    expect(await row.textContent()).toContain('Approved');
    expect(await page.locator('main').textContent()).toContain('looked at it in the browser test');
    expect(pageProblems).toEqual([]);
  });

  it("shows a run's steps, its learning curve as SVG and the evaluation's decision and reasons, from the runs list", async () => {
    // Prepare
    await openPage(page, scenario.url, '#/runs');

    // Act
    await page.getByRole('link', { name: scenario.trainedRun, exact: true }).first().click();
    await page.getByRole('heading', { name: `Run ${scenario.trainedRun}` }).waitFor();

    // Assess
    const steps = page.getByRole('table', { name: `Steps of ${scenario.trainedRun}` }).locator('tbody tr');
    expect(await steps.count()).toBeGreaterThanOrEqual(3);
    expect(await steps.first().textContent()).toMatch(/Succeeded/);
    const curve = page.getByRole('img', { name: `Learning curve of ${scenario.trainedRun}` });
    expect(await curve.evaluate((node) => node.tagName)).toBe('svg');
    const evaluation = page
      .locator('main section')
      .filter({ has: page.getByRole('heading', { name: 'Evaluation' }) });
    expect(await evaluation.textContent()).toMatch(/Decision\s*Approved/);
    expect(await evaluation.textContent()).toMatch(
      /meets the threshold 0\.1[\s\S]*approval is automatic for this model/,
    );
    expect(pageProblems).toEqual([]);
  });

  it('renders a hostile column name in the validation report as text: no element made, no dialog', async () => {
    // Act
    await openPage(page, scenario.url, `#/runs/${encodeURIComponent(scenario.rejectedRun)}`);
    const problems = page.getByRole('table', { name: 'Validation problems' });
    await problems.waitFor();

    // Assess
    const cells = await problems.locator('td').allTextContents();
    expect(cells).toContain(HOSTILE_COLUMN);
    expect(await page.locator('main').textContent()).toContain('Rejected');
    // The markup was never parsed: no img anywhere, nothing ran.
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => document.querySelectorAll('[onerror]').length)).toBe(0);
    expect(pageProblems).toEqual([]);
  });

  it('is keyboard-navigable: a skip link first, the sections reached by Tab and opened with Enter', async () => {
    // Prepare: the console focuses main after rendering a route
    await openPage(page, scenario.url, '#/models');
    const first = await page.evaluate(() => {
      const focusable = document.querySelector<HTMLElement>(
        'a[href], button, input, select, textarea, [tabindex]',
      );
      return { text: focusable?.textContent, href: focusable?.getAttribute('href') };
    });

    // Act: back from main into the header's navigation
    let focused = '';
    for (let i = 0; i < 15 && focused !== 'Runs'; i++) {
      await page.keyboard.press('Shift+Tab');
      focused = (await page.evaluate(() => document.activeElement?.textContent)) ?? '';
    }
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: /^Runs/ }).waitFor();

    // Assess
    expect(first).toEqual({ text: 'Skip to content', href: '#main' });
    expect(focused).toBe('Runs');
    expect(new URL(page.url()).hash).toBe('#/runs');
    expect(pageProblems).toEqual([]);
  });

  it('fits a 420 px wide window: no page-wide horizontal scrolling on a model and a run', async () => {
    // Prepare
    await page.setViewportSize({ width: 420, height: 800 });

    for (const route of [`#/models/${AUTO_MODEL}`, `#/runs/${encodeURIComponent(scenario.trainedRun)}`]) {
      // Act
      await openPage(page, scenario.url, route);
      await page.getByRole('heading', { level: 2 }).first().waitFor();
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        window: window.innerWidth,
      }));

      // Assess
      expect(widths.page, route).toBeLessThanOrEqual(widths.window);
    }
    expect(pageProblems).toEqual([]);
  });

  it("shows the sample's deployment from the list: its outcome and the traffic shift as SVG", async () => {
    // Prepare
    await openPage(page, scenario.url, '#/deployments');

    // Act
    await page.locator('main a[href^="#/deployments/"]').first().click();
    await page.getByRole('heading', { name: /^Deployment / }).waitFor();

    // Assess
    expect(await page.locator('main').textContent()).toMatch(/Outcome[\s\S]*Promoted/);
    const traffic = page.getByRole('img', { name: 'Traffic to v1 over time' });
    expect(await traffic.evaluate((node) => node.tagName)).toBe('svg');
    expect(pageProblems).toEqual([]);
  });

  it('shows the serving endpoint and its invocations from the local CloudWatch as SVG charts', async () => {
    // Prepare
    await openPage(page, scenario.url, '#/endpoints');
    const row = page
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: AUTO_MODEL, exact: true }) });
    expect(await row.textContent()).toMatch(/InService[\s\S]*v1/);

    // Act
    await page.getByRole('link', { name: `Metrics of ${AUTO_MODEL}` }).click();
    const invocations = page.getByRole('img', { name: 'Invocations per minute' });
    await invocations.waitFor();

    // Assess: the scenario's 5 requests, in one or more minutes
    expect(await invocations.evaluate((node) => node.tagName)).toBe('svg');
    const points = await invocations.locator('title').allTextContents();
    expect(points.filter((text) => /^invocations: /.test(text)).length).toBeGreaterThan(0);
    expect(await page.getByRole('img', { name: 'Model latency (ms)' }).count()).toBe(1);
    expect(await page.getByRole('img', { name: 'Errors per minute' }).count()).toBe(1);
    expect(pageProblems).toEqual([]);
  });

  it('lists the alarms with their state, and the notifications the runtime published', async () => {
    // Act
    await openPage(page, scenario.url, '#/alarms');
    const alarms = page.getByRole('table', { name: 'Alarms, those in ALARM first' }).locator('tbody tr');
    await alarms.first().waitFor();

    // Assess
    expect(await alarms.count()).toBeGreaterThan(0);
    expect(await alarms.first().textContent()).toMatch(/OK|ALARM|INSUFFICIENT_DATA/);
    const notifications = page.getByRole('table', { name: /^Notifications/ }).locator('tbody tr');
    expect(await notifications.count()).toBeGreaterThan(0);
    expect((await notifications.allTextContents()).join('\n')).toContain(AUTO_MODEL);
    expect(pageProblems).toEqual([]);
  });

  it('follows a new run live: the runs list grows without a reload', async () => {
    // Prepare: a mark that a reload would wipe
    await openPage(page, scenario.url, `#/runs?model=${MANUAL_MODEL}`);
    const rows = page.getByRole('table', { name: /^Runs/ }).locator('tbody tr');
    const before = await rows.count();
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    // Act
    await scenario.upload(MANUAL_MODEL, 'again.csv', hostileCsv(readFileSync(SAMPLE, 'utf8')));
    await rows.nth(before).waitFor({ timeout: 15_000 });

    // Assess
    expect(await rows.count()).toBe(before + 1);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    expect(pageProblems).toEqual([]);
  });
});
