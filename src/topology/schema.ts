// The schema of topology files, built from the registry: the single source of truth for keys, defaults and rules.
// Single-step rules live in each step's option schema; rules across steps (order, source fields, unique names) here.
import { z } from 'zod';
import type { StageKind } from './component.ts';
import { applicationId } from './names.ts';
import { registry as defaultRegistry, type Registry } from './registry.ts';

/** The step name and options of a parsed step (a mapping with exactly one key). */
export function stepEntry(step: Record<string, unknown>): [string, unknown] {
  const entries = Object.entries(step).filter(([, v]) => v !== undefined);
  return entries[0];
}

function isSingleStep(raw: Record<string, unknown>, registry: Registry): boolean {
  const keys = Object.keys(raw).filter((k) => raw[k] !== undefined);
  return keys.length === 1 && keys[0] in registry.steps;
}

/** The zod schema of a topology file for the components of `registry`. */
export function topologyFileSchema(registry: Registry = defaultRegistry) {
  const sourceVariants = Object.entries(registry.sources).map(([type, s]) => s.options.extend({ type: z.literal(type) }));
  const source = z.discriminatedUnion('type', sourceVariants as [(typeof sourceVariants)[number], ...(typeof sourceVariants)[number][]]);

  const stepNames = Object.keys(registry.steps);
  // A loose object so an unknown step name gets its own message instead of a generic "unknown key".
  const step = z
    .looseObject(Object.fromEntries(Object.entries(registry.steps).map(([name, s]) => [name, s.options.optional()])), {
      error: `expected a step: a mapping with one of ${stepNames.join(', ')}`,
    })
    .superRefine((o, ctx) => {
      const unknown = Object.keys(o).filter((k) => !(k in registry.steps));
      for (const key of unknown) ctx.addIssue({ code: 'custom', path: [key], message: `unknown step; expected one of ${stepNames.join(', ')}` });
      const given = Object.keys(o).filter((k) => o[k] !== undefined);
      if (unknown.length === 0 && given.length !== 1) ctx.addIssue({ code: 'custom', message: `a step has exactly one of ${stepNames.join(', ')}; got ${given.join(', ') || 'none'}` });
    });

  return z
    .strictObject({
      application: applicationId,
      description: z.string().optional(),
      source,
      steps: z.array(step, { error: 'expected a list of steps' }).min(1, 'expected at least one step'),
    })
    .superRefine((file, ctx) => {
      // Steps that are not exactly one known step were reported above; the order rules would only guess.
      if (!file.steps.every((raw) => isSingleStep(raw, registry))) return;
      let sourceType = (file.source as { type: string }).type;
      let source = registry.sources[sourceType];
      let input: StageKind = 'items';
      let writes = false;
      let lastWindow = -1;
      const claimed = new Map<string, number>();
      for (const [i, raw] of file.steps.entries()) {
        const [name, options] = stepEntry(raw);
        const component = registry.steps[name];
        const at = ['steps', i, name];
        if (input === 'windowed' && !component.follows.includes(input)) {
          // Report the missing aggregate once, at the window, and read on as if it were there.
          ctx.addIssue({ code: 'custom', path: ['steps', lastWindow, 'window'], message: 'a window needs an aggregate step right after it' });
          input = 'results';
        }
        if (!component.follows.includes(input)) {
          ctx.addIssue({ code: 'custom', path: at, message: component.misplaced });
        } else {
          for (const finding of component.check?.(options, { application: file.application, source, sourceType, input }) ?? []) {
            ctx.addIssue({ code: 'custom', path: [...at, ...finding.path.map(String)], message: finding.message });
          }
        }
        for (const claim of component.claims?.(options) ?? []) {
          const first = claimed.get(claim);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: at, message: `${claim} is already used by steps[${first}]` });
          else claimed.set(claim, i);
        }
        input = component.output(input);
        if (component.itemsOf !== undefined) {
          sourceType = component.itemsOf;
          source = registry.sources[sourceType];
        }
        writes ||= component.writes === true;
        if (input === 'windowed') lastWindow = i;
      }
      if (input === 'windowed') ctx.addIssue({ code: 'custom', path: ['steps', lastWindow, 'window'], message: 'a window needs an aggregate step right after it' });
      if (!writes) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'nothing is written: add a to or sink step' });
    });
}

/** A validated topology file, defaults filled in. */
export type TopologyFile = z.output<ReturnType<typeof topologyFileSchema>>;
