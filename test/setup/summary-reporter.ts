// Appends each vitest run's pass/fail counts to .test-results/summary.jsonl, so .ci/run can print one closing line for all suites.
import { appendFileSync, mkdirSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = errors.length;
    let skipped = 0;
    for (const module of modules) {
      // A file that failed to load has no tests but must still count as a failure.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    mkdirSync('.test-results', { recursive: true });
    appendFileSync('.test-results/summary.jsonl', JSON.stringify({ at: new Date().toISOString(), argv: process.argv.slice(2), passed, failed, skipped }) + '\n');
  }
}
