// The traces view in the browser: the oracle's trace is found through the search form's route, opens, and shows its
// span count, its critical path (span by span, in order), the attribute of its richest span and its logs.
import type { Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { screenshot } from '../../helpers/browser.ts';
import type { UiOracle } from './oracle.ts';

const TIMEOUT = 30_000;

// What the callbacks run in the page touch (this tsconfig has no DOM types).
interface El {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  value?: string;
  nextElementSibling: El | null;
  querySelectorAll(selector: string): Iterable<El>;
}
declare const document: { documentElement: El };

async function text(page: Page, selector: string): Promise<string> {
  await page.waitForSelector(selector, { timeout: TIMEOUT });
  return page.$eval(selector, (el) => (el.textContent ?? '').trim());
}

const theme = (page: Page) => page.evaluate(() => document.documentElement.dataset.theme ?? '');

/** Switches the theme with the header's button until it is `want`. */
async function switchTheme(page: Page, want: string): Promise<void> {
  for (let i = 0; i < 2 && (await theme(page)) !== want; i++) {
    const before = await theme(page);
    await page.click('header button.theme');
    await page.waitForFunction((b) => document.documentElement.dataset.theme !== b, { timeout: TIMEOUT }, before);
  }
  expect(await theme(page)).toBe(want);
}

export async function checkTracesView(page: Page, o: UiOracle): Promise<void> {
  const { trace } = o;
  // The search: the root service over the data's range, with a limit covering every trace that could match.
  const search = new URLSearchParams({
    service: trace.rootService,
    operation: trace.rootName,
    start: String(o.range.startMs),
    end: String(o.range.endMs + 1_000),
    limit: '10000',
  });
  const row = `[data-testid="trace-result"][data-trace-id="${trace.traceId}"]`;
  await page.goto(`${o.baseUrl}/ui/#/traces?${search}`);
  // Its row, or what says it is not there (a list of other traces may still show from before the navigation).
  await page.waitForSelector(`${row}, [data-testid="trace-results-empty"], .traces-search .error-box`, { timeout: TIMEOUT });
  expect(await page.$('.traces-search .error-box')).toBeNull();
  const found = await page.$$eval('[data-testid="trace-result"]', (rows) => rows.map((r) => (r as unknown as El).dataset.traceId));
  expect(found).toContain(trace.traceId);
  // The form shows what was searched for.
  expect(await page.$eval('[data-testid="trace-service"]', (el) => (el as unknown as El).value)).toBe(trace.rootService);
  await screenshot(page, 'traces-search');

  // Open it from the list (keyboard: focus its row, Enter).
  await page.focus(row);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.trace-view[data-trace-id="${trace.traceId}"] [data-testid="waterfall-row"]`, { timeout: TIMEOUT });
  expect(await text(page, '[data-testid="trace-span-count"]')).toBe(String(trace.spanCount));

  // The critical path: the panel lists every step's span, in order; the rows in view are marked as the path says.
  expect(await page.$eval('[data-testid="critical-path"]', (el) => Number((el as unknown as El).dataset.count))).toBe(trace.criticalPath.length);
  const path = await page.$$eval('[data-testid="critical-path"] li', (items) => items.map((li) => (li as unknown as El).dataset.spanId));
  expect(path).toEqual(trace.criticalPath);
  const onPath = new Set(trace.criticalPath);
  const marked = await page.$$eval('[data-testid="waterfall-row"]', (rows) => rows.map((r) => [(r as unknown as El).dataset.spanId, (r as unknown as El).dataset.critical === 'true'] as const));
  expect(marked.length).toBeGreaterThan(0);
  for (const [spanId, critical] of marked) expect(critical, `span ${spanId} on the critical path`).toBe(onPath.has(spanId!));
  if (trace.spanCount <= 30) expect(marked.length).toBe(trace.spanCount); // all in view: every span drawn once

  // The logs of the trace.
  expect(await text(page, '[data-testid="trace-log-count"]')).toBe(String(trace.logCount));

  // The richest span's details: click its row (or select it through the route when it is out of view).
  const spanRow = `[data-testid="waterfall-row"][data-span-id="${trace.detailSpan.spanId}"]`;
  if (await page.$(spanRow)) await page.click(spanRow);
  else await page.goto(`${o.baseUrl}/ui/#/traces?trace=${trace.traceId}&span=${trace.detailSpan.spanId}`);
  await page.waitForSelector(`[data-testid="span-details"][data-span-id="${trace.detailSpan.spanId}"] [data-testid="span-attributes"]`, { timeout: TIMEOUT });
  const attributes = await page.$eval('[data-testid="span-attributes"]', (dl) => {
    const out: Array<[string, string]> = [];
    for (const dt of (dl as unknown as El).querySelectorAll('dt')) out.push([(dt.textContent ?? '').trim(), (dt.nextElementSibling?.textContent ?? '').trim()]);
    return out;
  });
  expect(attributes).toContainEqual([trace.detailSpan.attribute.key, trace.detailSpan.attribute.value]);
  expect(await text(page, '[data-testid="span-details"] h2')).toContain(trace.detailSpan.name);
  await screenshot(page, 'trace-waterfall');

  const original = await theme(page);
  await switchTheme(page, 'dark');
  await screenshot(page, 'trace-waterfall-dark');
  await switchTheme(page, original === 'dark' ? 'dark' : 'light');
}
