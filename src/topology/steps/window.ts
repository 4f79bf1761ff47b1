// `window`: groups items by key into tumbling, hopping or session windows of event time; an `aggregate` step must follow.
import { z } from 'zod';
import { hoppingWindows, sessionWindows, tumblingWindows, type WindowSpec } from '../../operators/index.ts';
import type { StepComponent } from '../component.ts';
import { duration, positiveDuration } from '../duration.ts';
import { topicName } from '../names.ts';

// Which size options each window type takes; the others are refused rather than ignored.
const SIZES = { tumbling: ['size'], hopping: ['size', 'advance'], session: ['gap'] } as const;

const options = z
  .strictObject({
    type: z.enum(['tumbling', 'hopping', 'session']),
    size: positiveDuration.optional(),
    advance: positiveDuration.optional(),
    gap: positiveDuration.optional(),
    /** Stream time a window keeps accepting records after its end. */
    grace: duration.default(0),
    emit: z.enum(['final', 'update']).default('final'),
    /** Where records later than end + grace go (default `<application>.late`). */
    late_topic: topicName.optional(),
  })
  .superRefine((o, ctx) => {
    const wanted: readonly string[] = SIZES[o.type];
    for (const key of ['size', 'advance', 'gap'] as const) {
      if (wanted.includes(key) && o[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `a ${o.type} window needs ${key}` });
      if (!wanted.includes(key) && o[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `a ${o.type} window takes ${wanted.join(' and ')}, not ${key}` });
    }
    if (o.type === 'hopping' && o.advance !== undefined && o.size !== undefined && o.advance > o.size) {
      ctx.addIssue({ code: 'custom', path: ['advance'], message: 'advance must not be larger than size' });
    }
    if (o.type === 'session' && o.emit === 'update') ctx.addIssue({ code: 'custom', path: ['emit'], message: 'session windows emit final results only' });
  });

function windowSpec(o: z.output<typeof options>): WindowSpec {
  switch (o.type) {
    case 'tumbling':
      return tumblingWindows(o.size!);
    case 'hopping':
      return hoppingWindows(o.size!, o.advance!);
    case 'session':
      return sessionWindows(o.gap!);
  }
}

/** Starts a windowed aggregation; the DSL call happens in the aggregate step that must follow. */
export const windowStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'a topology has one window, after the filters and before the aggregate',
  output: () => 'windowed',
  apply(stage, o) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    return { kind: 'windowed', stream: stage.stream, windows: windowSpec(o), options: { grace: o.grace, emit: o.emit, lateTopic: o.late_topic } };
  },
};
