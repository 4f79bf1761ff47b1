// `sink`: writes window results to an external sink (idempotent upserts) before the task's offsets commit.
import { z } from 'zod';
import type { SinkComponent, StepComponent } from '../component.ts';

/** The sink step over the registered sink types, chosen by `type`. */
export function sinkStep(sinks: Readonly<Record<string, SinkComponent>>) {
  const variants = Object.entries(sinks).map(([type, sink]) => sink.options.extend({ type: z.literal(type) }));
  const options = z.discriminatedUnion('type', variants as [(typeof variants)[number], ...(typeof variants)[number][]]);
  const step: StepComponent<typeof options> = {
    options,
    follows: ['results'],
    misplaced: 'a sink writes window results, so it must come after the aggregate',
    output: () => 'results',
    writes: true,
    claims: (o) => [`sink "${sinks[(o as { type: string }).type].name(o)}"`],
    apply(stage, o, ctx) {
      if (stage.kind !== 'results') throw new Error(this.misplaced);
      const { type, ...rest } = o as { type: string };
      const { spec, row } = sinks[type].create(rest, { application: ctx.application, function: stage.function });
      return { ...stage, stream: stage.stream.toSink(spec, (r) => row(r)) };
    },
  };
  return step;
}
