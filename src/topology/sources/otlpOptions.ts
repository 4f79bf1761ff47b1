// Options shared by the OTLP sources: the topic and the record encoding of the collector's kafka exporter.
import { z } from 'zod';
import { topicName } from '../names.ts';

/** `{ topic, encoding }` with the signal's default topic; `auto` tells JSON from protobuf by the first byte. */
export function otlpSourceOptions(defaultTopic: string) {
  return z.strictObject({
    topic: topicName.default(defaultTopic),
    encoding: z.enum(['auto', 'otlp_proto', 'otlp_json']).default('auto'),
  });
}
