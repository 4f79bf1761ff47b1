// Attribute values as plain JSON (what a JSONB column, a label or a tag holds): strings, finite numbers, booleans,
// arrays and objects. What JSON cannot hold exactly becomes a string: int64 beyond 2^53, NaN and ±Inf, bytes (base64).
import type { AnyValue, Attribute } from './model.ts';

export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

export function plainValue(v: AnyValue): PlainValue {
  switch (v.type) {
    case 'string':
    case 'bool':
      return v.value;
    case 'int':
      return typeof v.value === 'bigint' ? v.value.toString() : v.value;
    case 'double':
      return Number.isFinite(v.value) ? v.value : String(v.value);
    case 'bytes':
      return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64');
    case 'array':
      return v.value.map(plainValue);
    case 'kvlist':
      return plainAttributes(v.value);
    case 'empty':
      return null;
  }
}

/** Attributes as one object; a repeated key keeps its last value, as OTLP receivers do. */
export function plainAttributes(attributes: readonly Attribute[]): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = {};
  for (const a of attributes) out[a.key] = plainValue(a);
  return out;
}

/**
 * An attribute value as one string (a label, a tag, a map column): strings as they are, booleans and integers as
 * written, doubles by `formatDouble` (default String), bytes as base64, arrays and maps as JSON, no value as ''.
 */
export function attributeText(v: AnyValue, formatDouble: (n: number) => string = String): string {
  switch (v.type) {
    case 'string':
      return v.value;
    case 'bool':
    case 'int':
      return String(v.value);
    case 'double':
      return formatDouble(v.value);
    case 'bytes':
      return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64');
    case 'empty':
      return '';
    case 'array':
    case 'kvlist':
      return JSON.stringify(plainValue(v));
  }
}
