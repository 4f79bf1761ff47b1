// Browser check of the service-graph view: over the oracle's range, the graph is drawn and the edge table's row of
// the oracle's client → server shows its request count.
import type { Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { formatNumber } from '../../../src/query/ui/app/format.ts';
import { screenshot } from '../../helpers/browser.ts';
import { openRoute } from './metrics.ts';
import type { UiOracle } from './oracle.ts';

export async function checkServiceGraphView(page: Page, o: UiOracle): Promise<void> {
  await openRoute(page, o, `#/service-graph?start=${o.range.startMs}&end=${o.range.endMs}`);
  await page.waitForSelector('[data-testid="service-graph-canvas"] canvas', { timeout: 20_000 });
  await page.waitForSelector('table[data-testid="edges"]', { timeout: 20_000 });
  const { client, server, requests } = o.serviceGraph;
  const cell = `tr[data-testid="edge-${client}->${server}"] [data-testid="edge-requests"]`;
  await page.waitForSelector(cell, { timeout: 20_000 });
  expect(await page.$eval(cell, (el) => el.textContent)).toBe(formatNumber(requests));
  await screenshot(page, 'service-graph');
}
