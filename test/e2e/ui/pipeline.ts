// The pipeline view's check: every topology process of the test's pipeline listed, ready, with the records it read.
import type { Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { screenshot } from '../../helpers/browser.ts';
import type { UiOracle } from './oracle.ts';

export async function checkPipelineView(page: Page, o: UiOracle): Promise<void> {
  await page.goto(`${o.baseUrl}/ui/#/pipeline`);
  await page.waitForSelector('[data-testid="pipeline-table"]');
  for (const name of o.pipeline.processes) {
    const state = await page.waitForSelector(`[data-testid="process-${name}"] [data-testid="state"]`);
    expect(await state!.evaluate((el) => el.textContent), name).toBe('ready');
  }
  // Every process read records (the sink read the rollups, the rollup levels the partials and points).
  const recordsIn = await page.$$eval('[data-testid="records-in"]', (cells) => cells.map((c) => Number((c.textContent ?? '').replace(/,/g, ''))));
  expect(recordsIn.length).toBe(o.pipeline.processes.length);
  for (const n of recordsIn) expect(n).toBeGreaterThan(0);
  // The throughput chart starts after the second read (every 5 s).
  await page.waitForSelector('.chart canvas', { timeout: 20_000 });
  await screenshot(page, 'pipeline');
}
