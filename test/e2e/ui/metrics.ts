// Browser check of the metrics view: the oracle's gauge picked by typing the start of its name and choosing it from
// the suggestions, then its labels; the chart's last point (the avg of the last window) must read as the oracle's.
import type { Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { formatNumber } from '../../../src/query/ui/app/format.ts';
import { screenshot } from '../../helpers/browser.ts';
import type { UiOracle } from './oracle.ts';

/** Opens a view's hash route (a same-document navigation when the app is already loaded). */
export async function openRoute(page: Page, o: UiOracle, route: string): Promise<void> {
  const url = `${o.baseUrl}/ui/${route}`;
  if (page.url().startsWith(`${o.baseUrl}/ui/`)) await page.evaluate(`location.hash = ${JSON.stringify(route)}`);
  else await page.goto(url, { waitUntil: 'load' });
}

async function theme(page: Page): Promise<string> {
  return String(await page.evaluate(`document.documentElement.dataset.theme ?? 'light'`));
}

export async function checkMetricsView(page: Page, o: UiOracle): Promise<void> {
  await openRoute(page, o, `#/metrics?start=${o.range.startMs}&end=${o.range.endMs}`);
  const box = await page.waitForSelector('[data-testid="metric-name"]', { timeout: 15_000 });
  await box!.click({ count: 3 });
  // All but the last few characters: the name must come from the suggestions, among few others.
  await box!.type(o.metric.name.slice(0, Math.max(3, o.metric.name.length - 3)));
  const suggestion = await page.waitForSelector(`#metric-suggestions li[data-name="${o.metric.name}"]`, { timeout: 15_000 });
  await suggestion!.click();
  for (const [label, value] of Object.entries(o.metric.labels)) {
    const select = `select[data-label="${label}"]`;
    await page.waitForSelector(`${select} option[value="${CSS_escape(value)}"]`, { timeout: 15_000 });
    await page.select(select, value);
    const picked = JSON.stringify(`${JSON.stringify(label)}:${JSON.stringify(value)}`);
    await page.waitForFunction(`(new URLSearchParams(location.hash.split('?')[1] ?? '').get('match') ?? '').includes(${picked})`, { timeout: 10_000 });
  }
  const expected = formatNumber(o.metric.avg);
  await page.waitForSelector('.metrics-view .chart canvas', { timeout: 20_000 });
  await page
    .waitForFunction(`document.querySelector('[data-testid="metric-last"]')?.textContent === ${JSON.stringify(expected)}`, { timeout: 20_000 })
    .catch(() => undefined); // the expect below says what was shown instead
  expect(await page.$eval('[data-testid="metric-last"]', (el) => el.textContent)).toBe(expected);
  expect(await page.$eval('[data-testid="metric-level"]', (el) => el.textContent)).toBe('1m');
  await screenshot(page, 'metrics');

  const before = await theme(page);
  await page.click('header button.theme');
  await page.waitForFunction(`(document.documentElement.dataset.theme ?? 'light') !== ${JSON.stringify(before)}`);
  await page.waitForSelector('.metrics-view .chart canvas');
  await nextFrames(page); // the chart redraws in an effect after the theme's render
  await screenshot(page, 'metrics-dark');
  await page.click('header button.theme');
  await page.waitForFunction(`(document.documentElement.dataset.theme ?? 'light') === ${JSON.stringify(before)}`);
}

/** Waits until the browser has painted twice (effects that redraw after a render have run). */
async function nextFrames(page: Page): Promise<void> {
  await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 0))))');
}

/** A value inside a CSS attribute selector's double quotes. */
function CSS_escape(value: string): string {
  return value.replace(/["\\]/g, (c) => `\\${c}`);
}
