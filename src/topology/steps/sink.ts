// `sink`: writes source items or window results to an external sink (idempotent upserts) before the task's offsets commit.
import { z } from 'zod';
import type { SinkComponent, StepComponent } from '../component.ts';

/** The sink step over the registered sink types, chosen by `type`. */
export function sinkStep(sinks: Readonly<Record<string, SinkComponent>>) {
  const variants = Object.entries(sinks).map(([type, sink]) => sink.options.extend({ type: z.literal(type) }));
  const options = z.discriminatedUnion('type', variants as [(typeof variants)[number], ...(typeof variants)[number][]]);
  const step: StepComponent<typeof options> = {
    options,
    follows: ['items', 'results'],
    misplaced: 'a sink writes items or window results, so it cannot stand between window and aggregate, nor after assemble',
    output: (input) => input,
    writes: true,
    claims: (o) => [`sink "${sinks[(o as { type: string }).type].name(o)}"`],
    check(o, ctx) {
      const { type, ...rest } = o as { type: string };
      const wanted = sinks[type].sources;
      if (wanted !== undefined) {
        const reads = ctx.input === 'items' ? `${ctx.sourceType} items` : 'window results';
        if (ctx.input !== 'items' || !wanted.includes(ctx.sourceType)) return [{ path: ['type'], message: `the ${type} sink writes ${wanted.join(' or ')} items, not ${reads}` }];
      }
      return sinks[type].check?.(rest, ctx) ?? [];
    },
    apply(stage, o, ctx) {
      const { type, ...rest } = o as { type: string };
      switch (stage.kind) {
        case 'results': {
          const { spec, row } = sinks[type].create(rest, { application: ctx.application, stage: 'results', function: stage.function });
          return { ...stage, stream: stage.stream.toSink(spec, (r, key, time) => row(r, key, time)) };
        }
        case 'items': {
          const { spec, row } = sinks[type].create(rest, { application: ctx.application, stage: 'items', fields: ctx.source.fields });
          return { ...stage, stream: stage.stream.toSink(spec, (item, key, time) => row(item, key, time)) };
        }
        case 'windowed':
        case 'traces':
          throw new Error(this.misplaced);
      }
    },
  };
  return step;
}
