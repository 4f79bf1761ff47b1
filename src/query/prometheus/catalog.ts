// The Prometheus series catalog of the query service: the compacted `otlp.series` topic materialized into LMDB, with
// the inverted indexes the metadata endpoints need (docs/query-prometheus.md).
//
// Sub-databases of the caller's LMDB environment (it needs maxDbs for these five besides its own):
//   series:sources   catalog key → { tenant, first, last, ids }   what each otlp.series record became
//   series:series    `<tenant>/<id>` → { labels, first, last }    a Prometheus series (label set; id = hash of tenant and labels)
//   series:refs      `<tenant>/<id>` → catalog keys (dupsort)      which catalog records list it (target_info is shared)
//   series:postings  `<tenant>/<label>=v<value>` → ids (dupsort)   the inverted index; `__name__` postings are the
//                    metric names in byte order, which is the prefix search. Values too long for an LMDB key are
//                    posted under `=h<hash of value>` and read back from a series that carries them.
//   series:names     `<tenant>/<label>` → number of series         label names per tenant
// A Prometheus series' first/last seen are the widest over the catalog records that list it.
import { createHash } from 'node:crypto';
import { distance } from 'fastest-levenshtein';
import type { Database, RootDatabase } from 'lmdb';
import type { SeriesRecord } from '../../operators/metrics/seriesCatalog.ts';
import { DEFAULT_TRANSLATION, type RollupTranslationOptions } from '../../sinks/prometheus/fromRollup.ts';
import { selectorMatches, type Selector } from './selector.ts';
import { catalogTenant, prometheusSeriesOf, type LabelPairs } from './seriesLabels.ts';

/** Options of a SeriesCatalog. */
export interface SeriesCatalogOptions {
  /** How the remote-write sink names series (its `tenant_label` and `resource_to_labels`); must match the sink's. */
  translation?: RollupTranslationOptions;
}

/** A time range in ms since the epoch, both ends inclusive; a series is in it when its [first, last] seen overlaps. */
export interface TimeRange {
  start?: number;
  end?: number;
}

/** Options of a metric-name search. */
export interface NameSearch {
  /** Names starting with this. */
  prefix?: string;
  /** Names within `maxDistance` edits (Levenshtein, UTF-16 code units) of this; results closest first. */
  fuzzy?: string;
  /** Default 2. */
  maxDistance?: number;
  /** At most this many names (0 or absent: all). */
  limit?: number;
}

/** A metric name found by `names`, with its edit distance when the search was fuzzy. */
export interface NameMatch {
  name: string;
  distance?: number;
}

/** A Prometheus series as the series endpoint answers it: label name → value, `__name__` included. */
export type SeriesLabels = Record<string, string>;

interface SourceEntry {
  tenant: string;
  first: number;
  last: number;
  ids: string[];
}

interface SeriesEntry {
  labels: Array<[string, string]>;
  first: number;
  last: number;
}

// LMDB keys are at most 1978 bytes: longer label values are posted under their hash, and series with label names or
// tenants beyond these lengths are not indexed (counted as skipped).
const MAX_VALUE_BYTES = 1000;
const MAX_NAME_BYTES = 256;

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
const seriesIdOf = (tenant: string, labels: LabelPairs) => hash(JSON.stringify([tenant, labels]));
// Keys of one tenant are `<tenant>/…`; tenants never contain '/', and '0' is the character after '/'.
const tenantStart = (tenant: string) => `${tenant}/`;
const tenantEnd = (tenant: string) => `${tenant}0`;
const labelPrefix = (tenant: string, name: string) => `${tenant}/${name}=`;
const postingKey = (tenant: string, name: string, value: string) =>
  Buffer.byteLength(value) > MAX_VALUE_BYTES ? `${labelPrefix(tenant, name)}h${hash(value)}` : `${labelPrefix(tenant, name)}v${value}`;

/** Compares strings by code point, i.e. in UTF-8 byte order (as Prometheus, in Go, sorts). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Orders label sets as Prometheus does (labels.Compare): pair by pair, name then value, then the shorter first. */
export function compareLabelSets(a: LabelPairs, b: LabelPairs): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const byName = compareCodePoints(a[i][0], b[i][0]);
    if (byName !== 0) return byName;
    const byValue = compareCodePoints(a[i][1], b[i][1]);
    if (byValue !== 0) return byValue;
  }
  return a.length - b.length;
}

const inRange = (entry: { first: number; last: number }, range: TimeRange | undefined) =>
  range === undefined || ((range.start === undefined || entry.last >= range.start) && (range.end === undefined || entry.first <= range.end));

/** The otlp.series topic as Prometheus series, with the indexes of /api/v1/series, /labels and /label/<n>/values. */
export class SeriesCatalog {
  private readonly root: RootDatabase;
  private readonly sources: Database<SourceEntry, string>;
  private readonly seriesDb: Database<SeriesEntry, string>;
  private readonly refs: Database<string, string>;
  private readonly postings: Database<string, string>;
  private readonly labelNamesDb: Database<number, string>;
  private readonly translation: RollupTranslationOptions;
  private skippedRecords = 0;

  constructor(root: RootDatabase, options: SeriesCatalogOptions = {}) {
    this.root = root;
    this.translation = options.translation ?? DEFAULT_TRANSLATION;
    this.sources = root.openDB<SourceEntry, string>({ name: 'series:sources' });
    this.seriesDb = root.openDB<SeriesEntry, string>({ name: 'series:series' });
    this.refs = root.openDB<string, string>({ name: 'series:refs', dupSort: true, encoding: 'string' });
    this.postings = root.openDB<string, string>({ name: 'series:postings', dupSort: true, encoding: 'string' });
    this.labelNamesDb = root.openDB<number, string>({ name: 'series:names' });
  }

  /** Catalog records not indexed because a label name or the tenant is too long for an LMDB key. */
  get skipped(): number {
    return this.skippedRecords;
  }

  /** Applies one otlp.series record: an upsert, or a delete for a tombstone (null). */
  apply(key: string, value: SeriesRecord | null): void {
    this.root.transactionSync(() => this.applyOne(key, value));
  }

  /** Applies records in order in one transaction (what a materializer does per fetched batch). */
  applyAll(records: Iterable<readonly [key: string, value: SeriesRecord | null]>): void {
    this.root.transactionSync(() => {
      for (const [key, value] of records) this.applyOne(key, value);
    });
  }

  private applyOne(key: string, value: SeriesRecord | null): void {
    const old = this.sources.get(key);
    if (value === null) {
      if (old === undefined) return;
      for (const id of old.ids) this.unref(old.tenant, id, key, old);
      this.sources.remove(key);
      return;
    }
    const tenant = catalogTenant(key);
    const derived = prometheusSeriesOf(key, value.identity, this.translation);
    const tooLong = Buffer.byteLength(tenant) > MAX_NAME_BYTES || derived.some((labels) => labels.some(([name]) => Buffer.byteLength(name) > MAX_NAME_BYTES));
    if (tooLong) {
      this.skippedRecords++;
      return this.applyOne(key, null);
    }
    const entry: SourceEntry = { tenant, first: value.first_seen, last: value.last_seen, ids: derived.map((labels) => seriesIdOf(tenant, labels)) };
    const kept = new Set(entry.ids);
    if (old !== undefined) for (const id of old.ids) if (!kept.has(id)) this.unref(old.tenant, id, key, old);
    const had = new Set(old?.ids);
    derived.forEach((labels, i) => this.ref(tenant, entry.ids[i], labels, key, entry, had.has(entry.ids[i]) ? old : undefined));
    this.sources.put(key, entry);
  }

  // Catalog record `source` (bounds `now`; `before` when it already listed the series) lists a Prometheus series.
  private ref(tenant: string, id: string, labels: LabelPairs, source: string, now: SourceEntry, before: SourceEntry | undefined): void {
    const key = `${tenant}/${id}`;
    const existing = this.seriesDb.get(key);
    if (existing === undefined) {
      this.seriesDb.put(key, { labels: labels.map(([n, v]) => [n, v]), first: now.first, last: now.last });
      this.refs.put(key, source);
      this.index(tenant, id, labels, +1);
      return;
    }
    if (before === undefined) this.refs.put(key, source);
    // A record that held a bound of the series and moved inward: the bound is recomputed over every record listing it.
    const narrowed = before !== undefined && ((before.first === existing.first && now.first > before.first) || (before.last === existing.last && now.last < before.last));
    const bounds = narrowed ? this.bounds(key, source, now) : { first: Math.min(existing.first, now.first), last: Math.max(existing.last, now.last) };
    if (bounds.first !== existing.first || bounds.last !== existing.last) this.seriesDb.put(key, { ...existing, ...bounds });
  }

  // Catalog record `source` (bounds `before`) no longer lists a Prometheus series.
  private unref(tenant: string, id: string, source: string, before: SourceEntry): void {
    const key = `${tenant}/${id}`;
    this.refs.remove(key, source);
    const existing = this.seriesDb.get(key);
    if (existing === undefined) return;
    if (this.refs.getValuesCount(key) === 0) {
      this.seriesDb.remove(key);
      this.index(tenant, id, existing.labels, -1);
      return;
    }
    if (before.first === existing.first || before.last === existing.last) {
      const bounds = this.bounds(key);
      if (bounds.first !== existing.first || bounds.last !== existing.last) this.seriesDb.put(key, { ...existing, ...bounds });
    }
  }

  // The widest first/last over the records listing a series (`override` standing for one not yet written).
  private bounds(key: string, override?: string, overrideEntry?: SourceEntry): { first: number; last: number } {
    let first = Infinity;
    let last = -Infinity;
    for (const source of this.refs.getValues(key)) {
      const entry = source === override ? overrideEntry : this.sources.get(source);
      if (entry === undefined) continue;
      first = Math.min(first, entry.first);
      last = Math.max(last, entry.last);
    }
    return { first, last };
  }

  private index(tenant: string, id: string, labels: LabelPairs, delta: 1 | -1): void {
    for (const [name, value] of labels) {
      const posting = postingKey(tenant, name, value);
      const nameKey = `${tenant}/${name}`;
      const count = (this.labelNamesDb.get(nameKey) ?? 0) + delta;
      if (delta > 0) this.postings.put(posting, id);
      else this.postings.remove(posting, id);
      if (count > 0) this.labelNamesDb.put(nameKey, count);
      else this.labelNamesDb.remove(nameKey);
    }
  }

  /** The series of a tenant matching any of the selectors (none: every series) and the range, in Prometheus' order. */
  series(tenant: string, selectors: readonly Selector[], range?: TimeRange, limit?: number): SeriesLabels[] {
    const found = this.matching(tenant, selectors, range);
    found.sort((a, b) => compareLabelSets(a.labels, b.labels));
    const taken = limit !== undefined && limit > 0 ? found.slice(0, limit) : found;
    return taken.map((s) => Object.fromEntries(s.labels));
  }

  /** Label names of a tenant's series (only those matching the selectors and range, when given), sorted. */
  labelNames(tenant: string, selectors: readonly Selector[] = [], range?: TimeRange): string[] {
    if (selectors.length === 0 && range === undefined) {
      const start = tenantStart(tenant);
      return [...this.labelNamesDb.getKeys({ start, end: tenantEnd(tenant) })].map((k) => k.slice(start.length)).sort(compareCodePoints);
    }
    const names = new Set<string>();
    for (const s of this.matching(tenant, selectors, range)) for (const [name] of s.labels) names.add(name);
    return [...names].sort(compareCodePoints);
  }

  /** Values of a label over a tenant's series (only those matching the selectors and range, when given), sorted. */
  labelValues(tenant: string, name: string, selectors: readonly Selector[] = [], range?: TimeRange): string[] {
    if (selectors.length === 0 && range === undefined) return this.valuesOf(tenant, name).map(([value]) => value).sort(compareCodePoints);
    const values = new Set<string>();
    for (const s of this.matching(tenant, selectors, range)) {
      const pair = s.labels.find(([n]) => n === name);
      if (pair !== undefined) values.add(pair[1]);
    }
    return [...values].sort(compareCodePoints);
  }

  /** Metric names of a tenant by prefix and/or edit distance: closest first when fuzzy, else in name order. */
  names(tenant: string, search: NameSearch = {}): NameMatch[] {
    const prefix = search.prefix ?? '';
    const maxDistance = search.maxDistance ?? 2;
    const found: NameMatch[] = [];
    for (const [name] of this.valuesOf(tenant, '__name__', prefix)) {
      if (!name.startsWith(prefix)) continue;
      if (search.fuzzy === undefined) {
        found.push({ name });
        continue;
      }
      // The distance is at least the difference in length: most names are ruled out without computing it.
      if (Math.abs(name.length - search.fuzzy.length) > maxDistance) continue;
      const d = distance(name, search.fuzzy);
      if (d <= maxDistance) found.push({ name, distance: d });
    }
    found.sort((a, b) => (a.distance ?? 0) - (b.distance ?? 0) || compareCodePoints(a.name, b.name));
    return search.limit !== undefined && search.limit > 0 ? found.slice(0, search.limit) : found;
  }

  /** Number of Prometheus series of a tenant. */
  seriesCount(tenant: string): number {
    return this.seriesDb.getKeysCount({ start: tenantStart(tenant), end: tenantEnd(tenant) });
  }

  // Every value of a label in a tenant (values starting with `prefix` among the short ones, all of the long ones),
  // each with its posting key.
  private valuesOf(tenant: string, name: string, prefix = ''): Array<[value: string, posting: string]> {
    const start = labelPrefix(tenant, name);
    const out: Array<[string, string]> = [];
    // U+10FFFF is above every code point: the end bound of the values starting with the prefix.
    for (const key of this.postings.getKeys({ start: `${start}v${prefix}`, end: `${start}v${prefix}\u{10ffff}` })) out.push([key.slice(start.length + 1), key]);
    for (const key of this.postings.getKeys({ start: `${start}h`, end: `${start}i` })) {
      const value = this.longValue(key, name);
      if (value !== undefined) out.push([value, key]);
    }
    return out;
  }

  // A value posted under its hash, read from a series that carries it.
  private longValue(posting: string, name: string): string | undefined {
    const tenant = posting.slice(0, posting.indexOf('/'));
    for (const id of this.postings.getValues(posting)) {
      const pair = this.seriesDb.get(`${tenant}/${id}`)?.labels.find(([n]) => n === name);
      if (pair !== undefined) return pair[1];
    }
    return undefined;
  }

  // Series of a tenant matching any selector and the range.
  private matching(tenant: string, selectors: readonly Selector[], range: TimeRange | undefined): SeriesEntry[] {
    const seen = new Set<string>();
    const out: SeriesEntry[] = [];
    const consider = (id: string, selector: Selector | undefined) => {
      if (seen.has(id)) return;
      const entry = this.seriesDb.get(`${tenant}/${id}`);
      if (entry === undefined || !inRange(entry, range)) return;
      if (selector !== undefined && !selectorMatches(selector, Object.fromEntries(entry.labels))) return;
      seen.add(id);
      out.push(entry);
    };
    if (selectors.length === 0) {
      const start = tenantStart(tenant);
      for (const key of this.seriesDb.getKeys({ start, end: tenantEnd(tenant) })) consider(key.slice(start.length), undefined);
      return out;
    }
    for (const selector of selectors) for (const id of this.candidates(tenant, selector)) consider(id, selector);
    return out;
  }

  // Ids that may match a selector: the postings of its most selective matcher that needs the label present
  // (an equality when there is one); every id of the tenant when all its matchers accept an absent label.
  private candidates(tenant: string, selector: Selector): Iterable<string> {
    const required = selector.filter((m) => !m.matches(''));
    if (required.length === 0) {
      const start = tenantStart(tenant);
      return [...this.seriesDb.getKeys({ start, end: tenantEnd(tenant) })].map((k) => k.slice(start.length));
    }
    const equalities = required.filter((m) => m.op === '=');
    if (equalities.length > 0) {
      const counted = equalities.map((m) => ({ key: postingKey(tenant, m.name, m.value), count: this.postings.getValuesCount(postingKey(tenant, m.name, m.value)) }));
      const best = counted.reduce((a, b) => (b.count < a.count ? b : a));
      return [...this.postings.getValues(best.key)];
    }
    const ids = new Set<string>();
    const m = required[0];
    for (const [value, posting] of this.valuesOf(tenant, m.name)) if (m.matches(value)) for (const id of this.postings.getValues(posting)) ids.add(id);
    return ids;
  }
}
