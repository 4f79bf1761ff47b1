import { describe, expect, it } from 'vitest';
import { kafkaClusterId } from './kafka.ts';

describe('kafkaClusterId', () => {
  it('is 16 random bytes in base64url that kafka-storage cannot mistake for an option', () => {
    // A random id starts with '-' once in 64; 10,000 draws would show one with near certainty.
    const ids = Array.from({ length: 10_000 }, kafkaClusterId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
