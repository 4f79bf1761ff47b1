// `max`: largest value of a field per window.
import { max } from '../../operators/index.ts';
import type { AggregateFunction } from '../component.ts';

/** Largest value of the field. */
export const maxFunction: AggregateFunction<number> = {
  description: 'largest value of the field',
  needsField: true,
  fields: { max: 'double precision' },
  create: (select) => max(select),
  values: (greatest) => ({ max: greatest }),
};
