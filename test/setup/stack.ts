// Vitest global setup: bring the stack up once per run (or reuse a running one) and share its settings with every test file.
import type { TestProject } from 'vitest/node';
import { stackDown, stackEnv, stackUp } from '../../src/stack/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const result = await stackUp({ log: (line) => console.log(`[stack] ${line}`) });
  console.log(`[stack] ${result.reused ? 'reusing running stack' : `started in ${result.seconds} s`} (${result.state.mode})`);
  project.provide('stack', stackEnv(result.state));
  return async () => {
    // Stop only what this setup started; a stack the developer brought up stays.
    if (!result.reused) await stackDown();
  };
}
