// Worker thread of the JSON converter (jsonConverter.ts): OTLP/JSON text in, the protobuf request out. JSON.parse and
// decoding cannot be cut into slices, so they run here, where they hold no other request's event loop.
import { parentPort } from 'node:worker_threads';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson, encodeLogs, encodeMetrics, encodeTraces, OtlpDecodeError, RequestLimitError, type Signal } from '../otlp/index.ts';
import { checkJsonItems } from '../otlp/requestLimits.ts';
import type { JsonJob, JsonReply } from './jsonConverter.ts';

const CONVERT: Record<Signal, (request: unknown) => Uint8Array> = {
  traces: (request) => encodeTraces(decodeTracesJson(request)),
  metrics: (request) => encodeMetrics(decodeMetricsJson(request)),
  logs: (request) => encodeLogs(decodeLogsJson(request)),
};

function convert(job: JsonJob): JsonReply {
  try {
    let request: unknown;
    try {
      request = JSON.parse(Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength).toString('utf8'));
    } catch (err) {
      throw new OtlpDecodeError(`not JSON: ${(err as Error).message}`, 'json');
    }
    checkJsonItems(job.signal, request, job.maxItems);
    return { id: job.id, protobuf: CONVERT[job.signal](request) };
  } catch (err) {
    if (err instanceof OtlpDecodeError) return { id: job.id, error: { kind: 'invalid', message: err.message } };
    if (err instanceof RequestLimitError) return { id: job.id, error: { kind: 'limit', message: err.message, limit: err.limit } };
    return { id: job.id, error: { kind: 'internal', message: (err as Error).message } };
  }
}

parentPort!.on('message', (job: JsonJob) => parentPort!.postMessage(convert(job)));
