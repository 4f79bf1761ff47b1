// The browser check of the logs view: a search typed into the box finds the oracle's number of records (the count and
// the histogram's bars agree), hits link to their traces and open to their attributes, the patterns tab lists
// templates, both themes draw, and a bad query shows the service's message.
import type { Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { screenshot } from '../../helpers/browser.ts';
import type { UiOracle } from './oracle.ts';

/** The query the check sends on purpose to get a 400 (an unclosed phrase). */
const BAD_QUERY = '"unclosed';

const TIMEOUT = 30_000;

/** The page's globals these callbacks use, typed here: the tests' tsconfig has no DOM library. */
interface PageGlobals {
  document: {
    documentElement: { dataset: Record<string, string | undefined> };
    activeElement: { blur(): void; hasAttribute(name: string): boolean } | null;
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
    querySelectorAll(selector: string): { length: number };
  };
  location: { hash: string };
  requestAnimationFrame(callback: () => void): number;
}

const count = (text: string | null | undefined) => Number((text ?? '').replace(/[^0-9]/g, ''));

/** Waits until the page has painted twice (charts drawn again after a change). */
async function nextFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    return new Promise<void>((resolve) => w.requestAnimationFrame(() => w.requestAnimationFrame(() => resolve())));
  });
}

/** Sets the theme through the UI (Alt+T) until the document says `theme`. */
async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  if ((await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme ?? 'light')) === theme) return;
  await page.click('button.theme');
  await page.waitForFunction((t) => ((globalThis as unknown as PageGlobals).document.documentElement.dataset.theme ?? 'light') === t, { timeout: TIMEOUT }, theme);
}

/**
 * Runs the check; answers the URL substrings (and the console text) of the responses it made fail on purpose — the
 * bad query's 400s — for the caller to leave out of the page's problems.
 */
export async function checkLogsView(page: Page, o: UiOracle): Promise<{ expectedFailures: string[] }> {
  const { startMs, endMs } = o.range;
  expect(o.logs.hits, 'the oracle\'s log query should match records (the check reads hits, their bars and a trace link)').toBeGreaterThan(0);
  await page.goto(`${o.baseUrl}/ui/#/logs?start=${startMs}&end=${endMs}`, { waitUntil: 'load' });
  await page.waitForSelector('main [data-view="logs"] input[data-search]', { timeout: TIMEOUT });

  // The query goes in through the box: "/" focuses it, Enter searches.
  await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.blur()); // so "/" is the shortcut, not a character
  await page.keyboard.press('/');
  expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.hasAttribute('data-search'))).toBe(true);
  await page.keyboard.type(o.logs.query);
  await page.keyboard.press('Enter');
  await page.waitForFunction((q) => new URLSearchParams((globalThis as unknown as PageGlobals).location.hash.split('?')[1] ?? '').get('q') === q, { timeout: TIMEOUT }, o.logs.query.trim());

  // The total over the range, and the histogram drawn with bars that add up to it.
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="log-hit-count"]')?.getAttribute('data-count') !== '', { timeout: TIMEOUT });
  const shown = await page.$eval('[data-testid="log-hit-count"]', (el) => ({ text: el.textContent, count: el.getAttribute('data-count') }));
  expect(Number(shown.count)).toBe(o.logs.hits);
  expect(count(shown.text)).toBe(o.logs.hits);
  await page.waitForSelector('[data-testid="log-histogram"] canvas', { timeout: TIMEOUT });
  expect(Number(await page.$eval('[data-testid="log-histogram"]', (el) => el.getAttribute('data-total')))).toBe(o.logs.hits);

  // Hits: at least one links to its trace; one opens to its attributes.
  await page.waitForSelector('[data-testid="log-hit"]', { timeout: TIMEOUT });
  const hitRows = await page.$$eval('[data-testid="log-hit"]', (rows) => rows.length);
  expect(hitRows).toBe(Math.min(o.logs.hits, 100));
  const traceHref = await page.$eval('[data-testid="log-hit"] [data-testid="log-trace-link"]', (a) => a.getAttribute('href'));
  expect(traceHref).toMatch(/^#\/traces\?trace=[0-9a-f]{32}$/);
  const withAttributes = await page.$$eval('[data-testid="log-hit"]', (rows) =>
    rows.findIndex((r) => r.querySelector('[data-testid="log-trace-link"]') !== null),
  );
  const toggles = await page.$$('[data-testid="log-hit"] [data-testid="log-toggle"]');
  await toggles[Math.max(0, withAttributes)].click();
  await page.waitForSelector('[data-testid="log-detail"] dl.kv', { timeout: TIMEOUT });
  const detail = await page.$eval('[data-testid="log-detail"]', (el) => ({
    attributes: el.querySelectorAll('[data-testid="log-attributes"] dt').length,
    resource: [...el.querySelectorAll('[data-testid="log-resource"] dt')].map((dt) => dt.textContent),
  }));
  expect(detail.attributes + detail.resource.length).toBeGreaterThan(0);
  expect(detail.resource).toContain('service.name');
  await screenshot(page, 'logs');

  // The next page comes after the first (newest first, with the cursor).
  if (o.logs.hits > hitRows) {
    await page.click('[data-testid="log-more"]');
    const more = Math.min(o.logs.hits, 2 * hitRows);
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="log-hit"]').length === n, { timeout: TIMEOUT }, more);
  }

  // The dark theme, then back.
  await setTheme(page, 'dark');
  await page.waitForSelector('[data-testid="log-histogram"] canvas', { timeout: TIMEOUT });
  await nextFrames(page);
  await screenshot(page, 'logs-dark');
  await setTheme(page, 'light');

  // Patterns: templates per service.
  await page.click('[data-testid="logs-tab-patterns"]');
  await page.waitForSelector('[data-testid="log-pattern"]', { timeout: TIMEOUT });
  const templates = await page.$$eval('[data-testid="log-pattern"]', (rows) => rows.length);
  expect(templates).toBeGreaterThan(0);
  await screenshot(page, 'log-patterns');

  // A bad query: the service's message, which names the position, in the error box.
  await page.click('[data-testid="logs-tab-search"]');
  const box = await page.waitForSelector('main input[data-search]', { timeout: TIMEOUT });
  await box!.click({ count: 3 });
  await page.keyboard.press('Backspace');
  await box!.type(BAD_QUERY);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.error-box[data-testid="log-error"]', { timeout: TIMEOUT });
  const message = await page.$eval('.error-box[data-testid="log-error"]', (el) => el.textContent ?? '');
  expect(message).toMatch(/^400: invalid parameter "q": .*\d/);

  // Leave the page as it was found: the search view of the range.
  await page.goto(`${o.baseUrl}/ui/#/logs?start=${startMs}&end=${endMs}`, { waitUntil: 'load' });
  return {
    expectedFailures: [`q=${encodeURIComponent(BAD_QUERY)}`, 'the server responded with a status of 400'],
  };
}
