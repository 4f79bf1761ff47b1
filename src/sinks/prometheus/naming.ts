// OpenTelemetry names → Prometheus names, the way the Collector's prometheusremotewrite exporter normalizes them
// (translator/prometheus, name normalization on): unit suffixes, `_total` for monotonic sums, `_ratio` for gauges of
// unit 1, any character outside [a-zA-Z0-9] a separator, labels sanitized to [a-zA-Z0-9_].
import { attributeText, type AnyValue } from '../../otlp/index.ts';

// The Collector's unit map (UCUM main units → Prometheus words); "1" maps to nothing.
const UNITS: Readonly<Record<string, string>> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tebibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams',
  Cel: 'celsius', Hz: 'hertz', '1': '', '%': 'percent',
};
// The unit after a slash ("By/s" → bytes_per_second).
const PER_UNITS: Readonly<Record<string, string>> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

const tokens = (s: string) => s.split(/[^A-Za-z0-9]+/).filter((t) => t !== '');
const cleanUp = (s: string) => tokens(s).join('_');

/** What decides a name's suffixes: `_total` for counters, `_ratio` for gauges of unit 1. */
export interface NamedMetric {
  name: string;
  unit: string;
  /** `counter` gets `_total`; `gauge` gets `_ratio` when its unit is 1; `other` (histograms, summaries, non-monotonic sums) neither. */
  shape: 'counter' | 'gauge' | 'other';
}

/** The Prometheus metric name of an OpenTelemetry metric (before `_bucket`/`_sum`/`_count`). */
export function prometheusMetricName(m: NamedMetric): string {
  let parts = tokens(m.name);
  const [main, per] = m.unit.split('/', 2).map((u) => u.trim());
  if (main && !/[{}]/.test(main)) {
    const word = cleanUp(UNITS[main] ?? main);
    if (word !== '' && !parts.includes(word)) parts.push(word);
  }
  if (per && !/[{}]/.test(per)) {
    const word = cleanUp(PER_UNITS[per] ?? per);
    if (word !== '' && !parts.includes(word)) parts.push('per', word);
  }
  if (m.shape === 'counter') parts = [...parts.filter((t) => t !== 'total'), 'total'];
  if (m.shape === 'gauge' && m.unit === '1') parts = [...parts.filter((t) => t !== 'ratio'), 'ratio'];
  const name = parts.join('_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** A label name from an attribute key: invalid characters → `_`; a leading digit gets `key_`, a single leading `_` gets `key`. */
export function prometheusLabelName(key: string): string {
  if (key === '') return '';
  const name = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(name)) return `key_${name}`;
  if (name.startsWith('_') && !name.startsWith('__')) return `key${name}`;
  return name;
}

/** A float as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it (`le` and `quantile` values): shortest digits, never an exponent. */
export function formatFloat(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const sign = s.startsWith('-') ? '-' : '';
  const mantissa = s.slice(sign.length, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** An attribute value as a label value (the Collector's AsString): JSON for arrays and maps, base64 for bytes. */
export function attributeString(v: AnyValue): string {
  return attributeText(v, formatFloat);
}
