// Headless Chromium for the web UI's tests (puppeteer-core driving the machine's Chromium): a page that records
// console errors and failed requests, and screenshots saved where the README shows them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ensureChromium } from '../../src/stack/chromium.ts';

export const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await ensureChromium((line) => console.log(`[chromium] ${line}`));
  return puppeteer.launch({
    executablePath,
    headless: true,
    // --no-sandbox: the tests run as root on CI machines, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--no-default-browser-check'],
    defaultViewport: { width: 1280, height: 900 },
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests seen so far. */
  problems: string[];
}

/** A new page whose console errors, page errors and failed or 4xx/5xx requests are recorded. */
export async function watchedPage(browser: Browser, options: { theme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${(err as Error).message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  if (options.theme) await page.evaluateOnNewDocument((theme) => localStorage.setItem('otlp-streams.theme', theme), options.theme);
  return { page, problems };
}

/** Saves a screenshot of the page as docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: false });
  return path;
}
