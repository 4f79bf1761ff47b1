// `otlp_logs`: one item per log record, keyed by the record's resource hash, at its time.
import { createHash } from 'node:crypto';
import type { LogRecord } from '../../otlp/index.ts';
import { toJson } from '../../runtime/index.ts';
import { otlpLogs } from '../../sources/index.ts';
import type { SourceComponent } from '../component.ts';
import { otlpSourceOptions } from './otlpOptions.ts';

const options = otlpSourceOptions('otlp_logs');

/** Log records of an OTLP logs topic. */
export const otlpLogsSource: SourceComponent<typeof options, LogRecord> = {
  description: 'log records, keyed by resource',
  options,
  fields: {
    name: (l) => l.eventName,
    attributes: (l) => l.attributes,
    resource: (l) => l.resource.attributes,
    // Log records carry no id: their content is their identity, hashed to keep the store small.
    identity: (l) => createHash('sha1').update(toJson([l.timeNanos, l.severityNumber, l.traceId, l.spanId, l.eventName, l.body, l.attributes])).digest('base64'),
    numbers: {
      severity_number: (l) => l.severityNumber,
    },
  },
  create: (o) => otlpLogs(o.topic, o.encoding),
};
