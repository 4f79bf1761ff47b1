// `aggregate`: folds each key's items per window with an aggregate function; it must follow a `window` step.
import { z } from 'zod';
import type { AggregateFunction, StepComponent } from '../component.ts';
import { storeName } from '../names.ts';

/** The aggregate step over the registered aggregate functions. */
export function aggregateStep(functions: Readonly<Record<string, AggregateFunction>>) {
  const names = Object.keys(functions) as [string, ...string[]];
  const options = z.strictObject({
    function: z.enum(names),
    /** A numeric field of the source's items; items without it are skipped. */
    field: z.string().optional(),
    /** Names the changelog topic `<application>-<store>-changelog`. */
    store: storeName.default('windows'),
    /** Changelog buckets per task. */
    buckets: z.int().positive().optional(),
    /** Quantiles to report (functions that sketch, e.g. metric); [] turns the sketch off. */
    quantiles: z.array(z.number().min(0, 'a quantile is in [0, 1]').max(1, 'a quantile is in [0, 1]')).optional(),
  });
  const step: StepComponent<typeof options> = {
    options,
    follows: ['windowed'],
    misplaced: 'aggregate must come right after a window step',
    output: () => 'results',
    check(o, ctx) {
      if (o.quantiles !== undefined && !functions[o.function].takesQuantiles) return [{ path: ['quantiles'], message: `${o.function} takes no quantiles` }];
      const fields = Object.keys(ctx.source.fields.numbers);
      if (o.field === undefined) {
        return functions[o.function].needsField ? [{ path: ['field'], message: `${o.function} needs a field; ${ctx.sourceType} items have ${fields.join(', ')}` }] : [];
      }
      return fields.includes(o.field) ? [] : [{ path: ['field'], message: `${ctx.sourceType} items have no field "${o.field}"; expected one of ${fields.join(', ')}` }];
    },
    apply(stage, o, ctx) {
      if (stage.kind !== 'windowed') throw new Error(this.misplaced);
      const fn = functions[o.function];
      const read = o.field === undefined ? undefined : ctx.source.fields.numbers[o.field];
      // Items without the field (a histogram point's `value`) are skipped before they reach the window.
      const stream = read ? stage.stream.filter((item) => Number.isFinite(read(item))) : stage.stream;
      const settings = o.quantiles === undefined ? {} : { quantiles: o.quantiles };
      const aggregator = fn.create(read ? (item) => read(item)! : () => 0, settings);
      if (!aggregator.serde) throw new Error(`aggregate function ${o.function} has no serde for its changelog`);
      const results = stream.windowedBy(stage.windows, stage.options).aggregate(aggregator, { store: o.store, serde: aggregator.serde, buckets: o.buckets });
      return { kind: 'results', stream: results, function: fn, settings };
    },
  };
  return step;
}
