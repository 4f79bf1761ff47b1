// A streaming log pattern miner after Drain (He et al., 2017): lines are masked (obvious variables become <*>),
// split on whitespace, routed through a fixed-depth tree by their token count and first tokens, and joined to the
// most similar template in the leaf they reach, or start a new one. One miner per (tenant, service); the caller keeps
// the map. Memory is bounded: at most `maxClusters` templates (least recently used evicted) and tree nodes are
// pruned with them. Deterministic: the same lines in the same order give the same ids and templates, also across
// toBytes → fromBytes.
import { ByteReader, ByteWriter, expectVersion } from '../../operators/metrics/bytes.ts';

/** The token that stands for a variable in a template. */
export const WILDCARD = '<*>';

/** How a miner groups lines. */
export interface PatternMinerOptions {
  /**
   * Tree depth counting the root, the token-count layer and the leaf (as in Drain's reference code): lines are routed
   * by their token count and their first `depth − 3` tokens, so the default 4 routes by the first token.
   */
  depth: number;
  /** A line joins the most similar template of its leaf when at least this share of tokens are equal (0–1). */
  similarity: number;
  /** Children per tree node; when full, further tokens share the node's <*> child (one slot is kept for it). */
  maxChildren: number;
  /** Templates kept; a new one beyond this evicts the least recently used. */
  maxClusters: number;
  /** Tokens of a line considered; a longer line keeps its first `maxTokens − 1` and a final <*> for the rest. */
  maxTokens: number;
  /** Characters of a line considered; a longer line is cut and its last token becomes <*>. */
  maxLineLength: number;
  /**
   * Also mask double-quoted strings as one <*>. Off by default: quotes often hold the constant part of a line
   * (`"GET /health HTTP/1.1"`); on, free text in quotes no longer splits templates by its token count.
   */
  maskQuoted: boolean;
}

export const DEFAULT_PATTERN_MINER_OPTIONS: Readonly<PatternMinerOptions> = Object.freeze({
  depth: 4,
  similarity: 0.4,
  maxChildren: 100,
  maxClusters: 1000,
  maxTokens: 64,
  maxLineLength: 4096,
  maskQuoted: false,
});

const INTEGER_LIMITS = {
  depth: [3, 32],
  maxChildren: [2, 1_000_000],
  maxClusters: [1, 10_000_000],
  maxTokens: [1, 10_000],
  maxLineLength: [1, 100_000_000],
} as const;

/** The options with defaults filled in; a RangeError names an option out of range. */
export function patternMinerOptions(options: Partial<PatternMinerOptions> = {}): PatternMinerOptions {
  const o = { ...DEFAULT_PATTERN_MINER_OPTIONS, ...options };
  for (const [name, [min, max]] of Object.entries(INTEGER_LIMITS)) {
    const value = o[name as keyof typeof INTEGER_LIMITS];
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`pattern miner: ${name} ${value} is not an integer in [${min}, ${max}]`);
  }
  if (!(o.similarity >= 0 && o.similarity <= 1)) throw new RangeError(`pattern miner: similarity ${o.similarity} is not in [0, 1]`);
  if (typeof o.maskQuoted !== 'boolean') throw new RangeError(`pattern miner: maskQuoted must be true or false`);
  return o;
}

/** What `add` did with a line. */
export interface MinedLine {
  /** The cluster's id: stable for its life, never reused. */
  id: number;
  /** Its template after this line: tokens joined by ' ', variables as <*>. */
  template: string;
  /** True when the cluster is new or this line generalized its template. */
  changed: boolean;
}

/** A template with the number of lines it has taken. */
export interface PatternCluster {
  id: number;
  template: string;
  count: number;
}

// ---- preprocessing ------------------------------------------------------------------------------------------------

// Obvious variables, tried left to right at each position (so a UUID wins over the hex and number inside it).
// Each is bounded by non-word characters, so `user42` or `v1.2` stay as they are.
const MASKS = [
  String.raw`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`, // UUID
  String.raw`\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`, // ISO date / date-time
  String.raw`\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?`, // time of day
  String.raw`(?<!:)(?=[0-9a-f:]*[0-9a-f])(?:[0-9a-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4})(?!:)`, // IPv6 (and MACs)
  String.raw`\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?`, // IPv4, with a port
  String.raw`(?:0x)?(?=[0-9a-f]*\d)[0-9a-f]{8,}`, // hex id of 8+ characters with a digit (not a word like "deadbeef")
  String.raw`(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))+`, // duration: 12ms, 1.5s, 1h30m
  String.raw`(?<!\.)-?\d+(?:\.\d+)?`, // number
].map((m) => String.raw`(?<!\w)(?:${m})(?!\w)`);
const QUOTED = String.raw`"(?:[^"\\\n]|\\.)*"`;
const MASK = new RegExp(MASKS.join('|'), 'gi');
const MASK_QUOTED = new RegExp([QUOTED, ...MASKS].join('|'), 'gi');
// Lone surrogates would not survive UTF-8 in toBytes; they become U+FFFD before mining.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A line as the miner sees it: cut to `maxLineLength`, variables masked as <*>, split on whitespace, capped. */
export function logTokens(message: string, options: Partial<PatternMinerOptions> = {}): string[] {
  const { maxLineLength, maxTokens, maskQuoted } = { ...DEFAULT_PATTERN_MINER_OPTIONS, ...options };
  const cut = message.length > maxLineLength;
  const text = (cut ? message.slice(0, maxLineLength) : message).replace(LONE_SURROGATE, '\uFFFD');
  const tokens = text.replace(maskQuoted ? MASK_QUOTED : MASK, WILDCARD).split(/\s+/).filter((t) => t !== '');
  if (cut && tokens.length > 0) tokens[tokens.length - 1] = WILDCARD;
  if (tokens.length > maxTokens) {
    tokens.length = maxTokens;
    tokens[maxTokens - 1] = WILDCARD;
  }
  return tokens;
}

/** The tokens of a template string (as `add` and `clusters` return it). */
export function templateTokens(template: string): string[] {
  return template === '' ? [] : template.split(' ');
}

/** Whether a line fits a template: same token count, each template token <*> or equal to the line's. */
export function matchesTemplate(template: string, message: string, options: Partial<PatternMinerOptions> = {}): boolean {
  const t = templateTokens(template);
  const tokens = logTokens(message, options);
  return t.length === tokens.length && t.every((token, i) => token === WILDCARD || token === tokens[i]);
}

// ---- the miner ------------------------------------------------------------------------------------------------------

interface Cluster {
  id: number;
  tokens: string[];
  count: number;
  /**
   * The route through the tree: bit i set when level i went to the <*> child, else to the named child of token i
   * (which the template keeps: every line that reaches this leaf through that child has that token).
   */
  wildcards: number;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  /** Ids of the clusters in this leaf. */
  clusters: Set<number>;
}

function treeNode(): TreeNode {
  return { children: new Map(), clusters: new Set() };
}

const DIGIT = /\d/;

/** The child a token routes to: tokens with digits are likely variables and share the <*> child (as in Drain). */
function routeKey(token: string): string {
  return token === WILDCARD || DIGIT.test(token) ? WILDCARD : token;
}

/**
 * Share of positions where the template token equals the line's. A <*> in the template counts only against a masked
 * <*> in the line, so a template that has generalized a lot does not swallow every line of its length.
 */
function similarity(template: readonly string[], tokens: readonly string[]): number {
  if (tokens.length === 0) return 1;
  let equal = 0;
  for (let i = 0; i < tokens.length; i++) if (template[i] === tokens[i]) equal++;
  return equal / tokens.length;
}

const STATE_VERSION = 1;

/** A Drain pattern miner for one stream of lines (one service of one tenant). */
export class PatternMiner {
  readonly options: Readonly<PatternMinerOptions>;
  private readonly root = treeNode();
  /** Clusters by id, least recently used first. */
  private readonly byId = new Map<number, Cluster>();
  private nextId = 1;

  constructor(options: Partial<PatternMinerOptions> = {}) {
    this.options = Object.freeze(patternMinerOptions(options));
  }

  /** Clusters held now. */
  get size(): number {
    return this.byId.size;
  }

  /** Mines one line: joins it to the most similar template of its leaf, or starts a new cluster. */
  add(message: string): MinedLine {
    const tokens = logTokens(message, this.options);
    const match = this.bestMatch(tokens);
    if (match) {
      let changed = false;
      for (let i = 0; i < tokens.length; i++) {
        if (match.tokens[i] !== tokens[i] && match.tokens[i] !== WILDCARD) {
          match.tokens[i] = WILDCARD;
          changed = true;
        }
      }
      match.count++;
      this.byId.delete(match.id);
      this.byId.set(match.id, match);
      return { id: match.id, template: match.tokens.join(' '), changed };
    }
    while (this.byId.size >= this.options.maxClusters) this.evictOldest();
    const cluster: Cluster = { id: this.nextId++, tokens, count: 1, wildcards: 0 };
    cluster.wildcards = this.place(cluster, undefined);
    this.byId.set(cluster.id, cluster);
    return { id: cluster.id, template: tokens.join(' '), changed: true };
  }

  /** Every cluster, by id. */
  clusters(): PatternCluster[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id).map((c) => ({ id: c.id, template: c.tokens.join(' '), count: c.count }));
  }

  /** The whole state (options, clusters in recency order, routes, next id): `fromBytes` gives a miner that behaves the same. */
  toBytes(): Buffer {
    const o = this.options;
    const out = new ByteWriter(256);
    out.uvarint(STATE_VERSION);
    out.uvarint(o.depth);
    out.float64(o.similarity);
    out.uvarint(o.maxChildren);
    out.uvarint(o.maxClusters);
    out.uvarint(o.maxTokens);
    out.uvarint(o.maxLineLength);
    out.uvarint(o.maskQuoted ? 1 : 0);
    out.uvarint(this.nextId);
    out.uvarint(this.byId.size);
    for (const c of this.byId.values()) {
      out.uvarint(c.id);
      out.uvarint(c.count);
      out.uvarint(c.wildcards);
      out.uvarint(c.tokens.length);
      for (const t of c.tokens) out.nested(Buffer.from(t, 'utf8'));
    }
    return out.finish() as Buffer;
  }

  /**
   * A miner from `toBytes`. `options` override the stored ones: a new `maxClusters` below the count evicts the least
   * recently used; a new `depth` re-routes every template (clusters keep their ids, templates and counts).
   * Damaged or hostile bytes throw a RangeError starting "pattern miner state".
   */
  static fromBytes(bytes: Uint8Array, options: Partial<PatternMinerOptions> = {}): PatternMiner {
    const input = new ByteReader(bytes, 'pattern miner state');
    expectVersion(input, STATE_VERSION);
    const fields = {
      depth: input.uvarint(),
      similarity: input.float64(),
      maxChildren: input.uvarint(),
      maxClusters: input.uvarint(),
      maxTokens: input.uvarint(),
      maxLineLength: input.uvarint(),
    };
    const quoted = input.uvarint();
    if (quoted > 1) throw input.error(`maskQuoted ${quoted} is neither 0 nor 1`);
    let stored: PatternMinerOptions;
    try {
      stored = patternMinerOptions({ ...fields, maskQuoted: quoted === 1 });
    } catch (cause) {
      throw input.error((cause as Error).message.replace('pattern miner: ', ''));
    }
    const nextId = input.uvarint();
    if (nextId < 1) throw input.error('next id 0');
    const clusters: Cluster[] = [];
    const ids = new Set<number>();
    const n = input.length(stored.maxClusters, 4);
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    for (let k = 0; k < n; k++) {
      const id = input.uvarint();
      if (id < 1 || id >= nextId) throw input.error(`cluster id ${id} outside [1, ${nextId - 1}]`);
      if (ids.has(id)) throw input.error(`cluster id ${id} twice`);
      ids.add(id);
      const count = input.uvarint();
      if (count < 1) throw input.error(`cluster ${id} has count 0`);
      const wildcards = input.uvarint();
      const tokens: string[] = [];
      const length = input.length(stored.maxTokens, 1);
      for (let i = 0; i < length; i++) {
        let token: string;
        try {
          token = utf8.decode(input.nested());
        } catch {
          throw input.error(`cluster ${id} has a token that is not UTF-8`);
        }
        if (token === '' || /\s/.test(token)) throw input.error(`cluster ${id} has an empty token or one with white space`);
        tokens.push(token);
      }
      const levels = Math.min(stored.depth - 3, length);
      if (wildcards >= 2 ** levels) throw input.error(`cluster ${id} has route ${wildcards} beyond its ${levels} levels`);
      for (let i = 0; i < levels; i++) {
        if ((wildcards & (2 ** i)) === 0 && routeKey(tokens[i]) !== tokens[i]) throw input.error(`cluster ${id} routes a variable token through a named child`);
      }
      clusters.push({ id, tokens, count, wildcards });
    }
    input.end();

    const miner = new PatternMiner({ ...stored, ...options });
    miner.nextId = nextId;
    const reroute = miner.options.depth !== stored.depth;
    for (const c of clusters) {
      c.wildcards = miner.place(c, reroute ? undefined : c.wildcards);
      miner.byId.set(c.id, c);
    }
    while (miner.byId.size > miner.options.maxClusters) miner.evictOldest();
    return miner;
  }

  /** The most similar cluster in the line's leaf, if similar enough (ties: the lowest id). */
  private bestMatch(tokens: readonly string[]): Cluster | undefined {
    let node = this.root.children.get(String(tokens.length));
    const levels = Math.min(this.options.depth - 3, tokens.length);
    for (let i = 0; i < levels && node; i++) {
      node = node.children.get(routeKey(tokens[i])) ?? node.children.get(WILDCARD);
    }
    if (!node) return undefined;
    let best: Cluster | undefined;
    let bestScore = -1;
    for (const id of node.clusters) {
      const c = this.byId.get(id)!;
      const score = similarity(c.tokens, tokens);
      if (score > bestScore || (score === bestScore && id < best!.id)) {
        best = c;
        bestScore = score;
      }
    }
    return best && bestScore >= this.options.similarity ? best : undefined;
  }

  /** Puts a cluster in its leaf, creating nodes on the way; returns its route (given as `route` on restore). */
  private place(cluster: Cluster, route: number | undefined): number {
    const { tokens } = cluster;
    let node = child(this.root, String(tokens.length));
    const levels = Math.min(this.options.depth - 3, tokens.length);
    let wildcards = 0;
    for (let i = 0; i < levels; i++) {
      const key = route === undefined ? this.childKey(node, tokens[i]) : (route & (2 ** i)) !== 0 ? WILDCARD : tokens[i];
      if (key === WILDCARD) wildcards |= 2 ** i;
      node = child(node, key);
    }
    node.clusters.add(cluster.id);
    return wildcards;
  }

  /** The child a new cluster goes through: its token's own, while there is room besides the <*> child. */
  private childKey(node: TreeNode, token: string): string {
    const key = routeKey(token);
    if (key === WILDCARD || node.children.has(key)) return key;
    const named = node.children.size - (node.children.has(WILDCARD) ? 1 : 0);
    return named < this.options.maxChildren - 1 ? key : WILDCARD;
  }

  /** Drops the least recently used cluster and the tree nodes left empty. */
  private evictOldest(): void {
    const [id, cluster] = this.byId.entries().next().value!;
    this.byId.delete(id);
    const path: Array<[TreeNode, string]> = [];
    let node = this.root;
    const keys = [String(cluster.tokens.length)];
    const levels = Math.min(this.options.depth - 3, cluster.tokens.length);
    for (let i = 0; i < levels; i++) keys.push((cluster.wildcards & (2 ** i)) !== 0 ? WILDCARD : cluster.tokens[i]);
    for (const key of keys) {
      path.push([node, key]);
      node = node.children.get(key)!;
    }
    node.clusters.delete(id);
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, key] = path[i];
      const c = parent.children.get(key)!;
      if (c.children.size > 0 || c.clusters.size > 0) break;
      parent.children.delete(key);
    }
  }

  /** Tree nodes held now (for tests of the memory bound). */
  treeNodes(): number {
    let n = 0;
    const stack = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      n++;
      stack.push(...node.children.values());
    }
    return n;
  }
}

function child(node: TreeNode, key: string): TreeNode {
  let c = node.children.get(key);
  if (!c) {
    c = treeNode();
    node.children.set(key, c);
  }
  return c;
}
