import { filter } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { LateRecord, WindowOutput } from './windowOutput.ts';

/** Keeps the late-record outputs of a windowed aggregation, e.g. to route them to a side topic. */
export function lateRecords<K extends string, A, V>(): OperatorFunction<WindowOutput<K, A, V>, LateRecord<K, V>> {
  return filter((output): output is LateRecord<K, V> => output.kind === 'late');
}
