import { filter } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { WindowOutput, WindowResult } from './windowOutput.ts';

/** Keeps the window results of a windowed aggregation (by default only final ones). */
export function windowResults<K extends string, A, V>(
  options: { finalOnly?: boolean } = {},
): OperatorFunction<WindowOutput<K, A, V>, WindowResult<K, A>> {
  const finalOnly = options.finalOnly ?? true;
  return filter((output): output is WindowResult<K, A> => output.kind === 'window' && (output.final || !finalOnly));
}
