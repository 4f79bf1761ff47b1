// `filter`: keeps source items by name, metric type, attributes and resource attributes (all given criteria must hold).
import { z } from 'zod';
import type { Attribute, MetricType } from '../../otlp/index.ts';
import type { ItemFields, StepComponent } from '../component.ts';

const METRIC_TYPES = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const satisfies readonly MetricType[];

// A single value is accepted where a list is, so `type: gauge` and `type: [gauge, sum]` both read naturally.
const listOf = <T extends z.ZodType>(item: T, what: string) =>
  z.preprocess((v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? [v] : v), z.array(item, { error: `expected a ${what} or a list of them` }).min(1, `expected at least one ${what}`));

const attributeValues = listOf(z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' }), 'value').transform((vs) => vs.map(String));

const options = z
  .strictObject({
    /** Metric, span or log event names; `*` matches any run of characters. */
    name: listOf(z.string().min(1), 'name').optional(),
    type: listOf(z.enum(METRIC_TYPES), 'metric type').optional(),
    attributes: z.record(z.string(), attributeValues).optional(),
    resource: z.record(z.string(), attributeValues).optional(),
  })
  .refine((o) => o.name ?? o.type ?? o.attributes ?? o.resource, { message: 'a filter needs at least one of name, type, attributes, resource' });

type FilterOptions = z.output<typeof options>;

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

function attributeText(a: Attribute): string | undefined {
  return a.type === 'string' || a.type === 'int' || a.type === 'double' || a.type === 'bool' ? String(a.value) : undefined;
}

function attributesMatch(wanted: Record<string, string[]>, attributes: readonly Attribute[]): boolean {
  return Object.entries(wanted).every(([key, values]) => {
    const found = attributes.find((a) => a.key === key);
    const text = found && attributeText(found);
    return text !== undefined && values.includes(text);
  });
}

/** A predicate over source items for the given criteria. */
export function itemPredicate(o: FilterOptions, fields: ItemFields): (item: unknown) => boolean {
  const names = o.name?.map(globToRegExp);
  const types = o.type ? new Set<string>(o.type) : undefined;
  return (item) =>
    (!names || names.some((re) => re.test(fields.name(item)))) &&
    (!types || (fields.metricType !== undefined && types.has(fields.metricType(item)))) &&
    (!o.attributes || attributesMatch(o.attributes, fields.attributes(item))) &&
    (!o.resource || attributesMatch(o.resource, fields.resource(item)));
}

/** Keeps the source items that match every criterion given. */
export const filterStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'filter selects source items, so it must come before the window step',
  output: () => 'items',
  check: (o, ctx) => (o.type && !ctx.source.fields.metricType ? [{ path: ['type'], message: `${ctx.sourceType} items have no metric type; "type" filters otlp_metrics points` }] : []),
  apply(stage, o, ctx) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    return { kind: 'items', stream: stage.stream.filter(itemPredicate(o, ctx.source.fields)) };
  },
};
