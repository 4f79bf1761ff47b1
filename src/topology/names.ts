// Names that end up in Kafka: application ids (groups, transactional ids, changelog topics) and topics.
import { z } from 'zod';

/** An application id; the DSL refuses other characters because the id names topics. */
export const applicationId = z.string().regex(/^[a-zA-Z0-9._-]+$/, "may only use letters, digits, '.', '_' and '-' (it names topics and the consumer group)");

/** A Kafka topic name. */
export const topicName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, "expected a Kafka topic name (letters, digits, '.', '_', '-')");

/** A state store name; it is part of the changelog topic name. */
export const storeName = z.string().regex(/^[a-zA-Z0-9_-]+$/, "expected a store name (letters, digits, '_', '-')");
