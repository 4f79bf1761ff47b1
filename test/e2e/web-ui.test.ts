// The web UI in headless Chromium on the real stack: one pipeline of the shipped topologies over generated traffic
// (test/e2e/ui/fixture.ts), one query service serving the UI, and per view a check that the page shows what brute
// force over the records sent says (test/e2e/ui/oracle.ts), with no console error and no failed request. The checks
// save the screenshots the README shows (docs/screenshots/).
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, watchedPage } from '../helpers/browser.ts';
import { startUiFixture, type UiFixture } from './ui/fixture.ts';
import { checkLogsView } from './ui/logs.ts';
import { checkMetricsView } from './ui/metrics.ts';
import { checkServiceGraphView } from './ui/serviceGraph.ts';
import { checkTracesView } from './ui/traces.ts';
import { checkPipelineView } from './ui/pipeline.ts';

describe('web UI', () => {
  let fixture: UiFixture;
  let browser: Browser;
  beforeAll(async () => {
    [fixture, browser] = await Promise.all([startUiFixture((line) => console.log(`[web-ui] ${line}`)), launchBrowser()]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
  });

  /** Runs a view's check on a fresh page; the page must not log an error or see a failed request. */
  async function onPage(check: (page: import('puppeteer-core').Page) => Promise<unknown>, expectedFailures: () => string[] = () => []): Promise<void> {
    const { page, problems } = await watchedPage(browser);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    try {
      await check(page);
    } finally {
      await page.close();
    }
    const allowed = expectedFailures();
    expect(problems.filter((p) => !allowed.some((a) => p.includes(a)))).toEqual([]);
    // Everything the page loaded came from the query service: no CDN, no other host.
    expect(requests.filter((u) => !u.startsWith(fixture.oracle.baseUrl) && !u.startsWith('data:'))).toEqual([]);
  }

  it("the oracle's critical path is the query service's (its analysis answers as the brute force does)", async () => {
    const o = fixture.oracle;
    const r = await fetch(`${o.baseUrl}/api/traces/${o.trace.traceId}/analysis`);
    const analysis = (await r.json()) as { spanCount: number; criticalPath: Array<{ spanId: string }> };
    expect(analysis.spanCount).toBe(o.trace.spanCount);
    expect(analysis.criticalPath.map((s) => s.spanId)).toEqual(o.trace.criticalPath);
  });

  it('traces: the search finds the trace; its waterfall shows its span count, critical path, span details and logs', async () => {
    await onPage((page) => checkTracesView(page, fixture.oracle));
  });

  it("service graph: the edge's request count is brute force's", async () => {
    await onPage((page) => checkServiceGraphView(page, fixture.oracle));
  });

  it("metrics: the chart of one series from the 1m rollups, its last window's average as brute force says", async () => {
    await onPage((page) => checkMetricsView(page, fixture.oracle));
  });

  it('logs: the search finds what brute force finds, with its histogram, hits, trace links and patterns', async () => {
    let allowed: string[] = [];
    await onPage(async (page) => {
      allowed = (await checkLogsView(page, fixture.oracle)).expectedFailures;
    }, () => allowed);
  });

  it('pipeline: every topology process, ready, with its records and sinks', async () => {
    await onPage((page) => checkPipelineView(page, fixture.oracle));
  });
});
