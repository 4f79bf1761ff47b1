// `min`: smallest value of a field per window.
import { min } from '../../operators/index.ts';
import type { AggregateFunction } from '../component.ts';

/** Smallest value of the field. */
export const minFunction: AggregateFunction<number> = {
  description: 'smallest value of the field',
  needsField: true,
  fields: { min: 'double precision' },
  create: (select) => min(select),
  values: (least) => ({ min: least }),
};
