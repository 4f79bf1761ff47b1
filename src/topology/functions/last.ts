// `last`: the value with the latest event time per window (a gauge's reading at window end).
import { last, type LastValue } from '../../operators/index.ts';
import type { AggregateFunction } from '../component.ts';

/** Latest value of the field and its event time. */
export const lastFunction: AggregateFunction<LastValue> = {
  description: 'value with the latest event time, and that time (ms)',
  needsField: true,
  fields: { value: 'double precision', value_time: 'bigint' },
  create: (select) => last(select),
  values: (latest) => ({ value: latest.value, value_time: latest.timestamp }),
};
