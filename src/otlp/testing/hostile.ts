// Requests built to make a gateway do or allocate far more than their size suggests, for the tests of the per-request
// limits (unit and on a real broker). Each is small on the wire and valid OTLP unless its name says otherwise.
import { ProtoWriter } from '../protoWriter.ts';

function field(w: ProtoWriter, fieldNumber: number, write: () => void): void {
  w.tag(fieldNumber, 2);
  const start = w.fork();
  write();
  w.join(start);
}

function stringAttribute(w: ProtoWriter, fieldNumber: number, key: string, value: string): void {
  field(w, fieldNumber, () => {
    w.tag(1, 2);
    w.string(key);
    field(w, 2, () => {
      w.tag(1, 2);
      w.string(value);
    });
  });
}

function traceId(i: number): Uint8Array {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(i + 1, 12); // never all-zero
  return id;
}

/** One ResourceSpans whose resource carries `resourceBytes` of attribute, with `spans` minimal spans. */
export function tracesWithResource(opts: { resourceBytes: number; spans: number; traces: number; spanNameBytes?: number }): Buffer {
  const w = new ProtoWriter(1 << 16);
  const name = 'n'.repeat(opts.spanNameBytes ?? 0);
  field(w, 1, () => {
    field(w, 1, () => stringAttribute(w, 1, 'host.tags', 'r'.repeat(opts.resourceBytes)));
    field(w, 2, () => {
      for (let i = 0; i < opts.spans; i++) {
        field(w, 2, () => {
          w.tag(1, 2);
          w.bytes(traceId(i % opts.traces));
          if (name !== '') {
            w.tag(5, 2);
            w.string(name);
          }
        });
      }
    });
  });
  return w.finish();
}

/** Many trace ids under one large resource: every trace id becomes a record repeating the resource. */
export function manyTracesLargeResource(traces: number, resourceBytes: number): Buffer {
  return tracesWithResource({ resourceBytes, spans: traces, traces });
}

/** `resources` empty ResourceMetrics / ResourceLogs (2 bytes each): every one becomes a record of its own. */
export function manySmallResources(resources: number): Buffer {
  return Buffer.from('0a00'.repeat(resources), 'hex');
}

/** One ResourceMetrics whose resource has `attributes` distinct string attributes, in reverse order (so they sort). */
export function metricsResourceWithAttributes(attributes: number): Buffer {
  const w = new ProtoWriter(1 << 16);
  field(w, 1, () => field(w, 1, () => {
    for (let i = attributes; i > 0; i--) stringAttribute(w, 1, `k${i}`, 'v');
  }));
  return w.finish();
}

/** One ResourceMetrics whose resource has one attribute whose value nests kvlists `depth` levels deep. */
export function metricsResourceNested(depth: number): Buffer {
  const w = new ProtoWriter(1 << 16);
  const anyValue = (level: number): void => {
    if (level === 0) {
      w.tag(1, 2);
      w.string('leaf');
      return;
    }
    // AnyValue.kvlist_value (6) -> KeyValueList.values (1) -> KeyValue { key 1, value 2 }
    field(w, 6, () => field(w, 1, () => {
      w.tag(1, 2);
      w.string('k');
      field(w, 2, () => anyValue(level - 1));
    }));
  };
  field(w, 1, () => field(w, 1, () => field(w, 1, () => {
    w.tag(1, 2);
    w.string('nested');
    field(w, 2, () => anyValue(depth));
  })));
  return w.finish();
}

/** OTLP/JSON traces with `spans` spans of one trace in one resource. */
export function jsonTraces(spans: number): Buffer {
  const span = '{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"}';
  return Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${Array.from({ length: spans }, () => span).join(',')}]}]}]}`);
}

/** OTLP/JSON traces whose resource has an attribute nested `depth` kvlists deep. */
export function jsonNestedResource(depth: number): Buffer {
  let value = '{"stringValue":"leaf"}';
  for (let i = 0; i < depth; i++) value = `{"kvlistValue":{"values":[{"key":"k","value":${value}}]}}`;
  const span = '{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"}';
  return Buffer.from(`{"resourceSpans":[{"resource":{"attributes":[{"key":"nested","value":${value}}]},"scopeSpans":[{"spans":[${span}]}]}]}`);
}

/** OTLP/JSON made of `objects` empty objects: what takes JSON.parse the most memory per byte (~25×). */
export function jsonEmptyObjects(objects: number): Buffer {
  return Buffer.from(`{"resourceSpans":[${Array.from({ length: objects }, () => '{}').join(',')}]}`);
}
