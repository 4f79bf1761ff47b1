// The log workload of the log benches: varied, realistic lines with generated values (deterministic per seed), not
// the few templates of src/gen's shop logs. A mix of web-server access lines (IPs, paths with ids, status, sizes,
// latency, user agents), application lines (orders, carts, users, caches, SQL, retries), JSON bodies (as JSON text
// and as OTLP kvlist bodies), errors with exceptions, ids and some with stack traces, Kubernetes events, and a few
// rare lines (needles) whose frequency is known, so searches have realistic selectivity: some terms are in most
// records, some in a handful. Services have the usual resource attributes; application lines carry trace context.
//
// Records come as otlp_logs input records: one per service and export batch (`batch` records, as an SDK's batch
// processor exports), keyed by service name, in the order their batches fill.
import { Random } from '../../src/gen/random.ts';
import { bodyText } from '../../src/logs/model.ts';
import { encodeLogs, type AnyValue, type Attribute, type LogRecord, type Resource } from '../../src/otlp/index.ts';

const SERVICES = ['ingress-nginx', 'frontend', 'checkout', 'cart', 'payments', 'inventory', 'catalog', 'users', 'shipping', 'notifications', 'search', 'kubelet'] as const;
type Service = (typeof SERVICES)[number];
const APPS: Service[] = ['frontend', 'checkout', 'cart', 'payments', 'inventory', 'catalog', 'users', 'shipping', 'notifications', 'search'];

const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH'];
const PATHS = [
  '/api/v1/products/{id}', '/api/v1/products', '/api/v1/cart/{uuid}/items', '/api/v1/orders/{id}', '/api/v1/orders', '/api/v1/users/{id}/orders',
  '/api/v1/search', '/api/v1/recommendations', '/healthz', '/readyz', '/static/js/app.{hex}.js', '/static/css/main.{hex}.css', '/api/v2/payments/{id}/capture',
  '/api/v1/inventory/sku-{id}', '/api/v1/shipping/quote', '/login', '/logout', '/metrics',
];
const STATUSES = [200, 200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 304, 400, 401, 403, 404, 404, 409, 429, 500, 502, 503, 504];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) Safari/605.1.15', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0.0.0',
  'okhttp/4.12.0', 'curl/8.5.0', 'kube-probe/1.30', 'Go-http-client/2.0', 'python-requests/2.32.3', 'Googlebot/2.1 (+http://www.google.com/bot.html)',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY'];
const CACHE_KEYS = ['product', 'cart', 'session', 'price', 'stock', 'user', 'quote'];
const TABLES = ['orders', 'order_items', 'carts', 'users', 'products', 'stock_levels', 'payments', 'shipments'];
const EXCEPTIONS = [
  ['java.lang.IllegalStateException', 'cart {uuid} is already checked out'],
  ['java.net.SocketTimeoutException', 'Read timed out'],
  ['java.net.ConnectException', 'Connection refused (Connection refused)'],
  ['org.postgresql.util.PSQLException', 'ERROR: could not serialize access due to concurrent update'],
  ['io.grpc.StatusRuntimeException', 'UNAVAILABLE: io exception'],
  ['java.lang.NullPointerException', 'Cannot invoke "com.acme.shop.Customer.getEmail()" because "customer" is null'],
  ['com.acme.payments.CardDeclinedException', 'card declined for order ord_{ord}: insufficient_funds'],
  ['redis.clients.jedis.exceptions.JedisConnectionException', 'Could not get a resource from the pool'],
];
const FRAMES = [
  'com.acme.checkout.service.CartService.checkout(CartService.java:214)', 'com.acme.checkout.web.OrderController.placeOrder(OrderController.java:77)',
  'org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)', 'com.acme.payments.client.GatewayClient.charge(GatewayClient.java:131)',
  'io.grpc.stub.ClientCalls.blockingUnaryCall(ClientCalls.java:166)', 'java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)',
];
const K8S_REASONS = ['Pulled', 'Created', 'Started', 'Killing', 'BackOff', 'Unhealthy', 'ScalingReplicaSet', 'FailedScheduling', 'SuccessfulCreate'];
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1'];
const ALPHANUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Lines seeded on purpose with a known share of the records: the searches' rare targets. */
export const NEEDLES = {
  outOfMemory: { share: 1e-4, line: 'java.lang.OutOfMemoryError: Java heap space' },
  deadlock: { share: 2e-5, line: 'deadlock detected while waiting for ShareLock on transaction' },
} as const;

export interface LogWorkloadOptions {
  seed: number;
  count: number;
  startMs: number;
  /** Records per second of event time. */
  perSecond: number;
  /** Records per export batch (one input record); default 128. */
  batch?: number;
}

/** An otlp_logs input record: one export batch of one service. */
export interface LogInput {
  key: string;
  value: Buffer;
  /** Time of its newest record (when it is exported). */
  at: number;
  /** Log records in it. */
  logs: number;
  /** Raw text of its records: bodies, and bodies plus attribute text (record attributes' keys and values). */
  bodyBytes: number;
  textBytes: number;
}

const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const int = (key: string, value: number): Attribute => ({ key, type: 'int', value: BigInt(value) });

function resourceOf(rng: Random, service: Service, i: number): Resource {
  const pod = `${service}-${rng.hex(3).slice(0, 5)}${i}-${rng.hex(3).slice(0, 5)}`;
  return {
    attributes: [
      str('service.name', service), str('service.version', `1.${rng.int(0, 9)}.${rng.int(0, 20)}`), str('deployment.environment', 'production'),
      str('k8s.namespace.name', service === 'kubelet' ? 'kube-system' : 'shop'), str('k8s.pod.name', pod), str('host.name', `ip-10-42-${rng.int(0, 9)}-${rng.int(1, 254)}.ec2.internal`),
      str('cloud.region', rng.pick(REGIONS)),
    ],
    droppedAttributesCount: 0,
    entityRefs: [],
    schemaUrl: '',
  };
}

/** Generates the log lines; `next(timeMs)` gives one record of some service. */
class LineMaker {
  private readonly rng: Random;
  private readonly resources: Map<Service, Resource>;
  constructor(seed: number) {
    this.rng = new Random(seed);
    this.resources = new Map(SERVICES.map((s, i) => [s, resourceOf(this.rng, s, i)]));
  }

  private ip(): string {
    const r = this.rng;
    return r.chance(0.5) ? `10.42.${r.int(0, 15)}.${r.int(1, 254)}` : `${r.pick([203, 198, 192, 81, 94, 145])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
  }
  private uuid(): string {
    const h = this.rng.hex(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  private orderId(): string {
    let s = '';
    for (let i = 0; i < 6; i++) s += ALPHANUM[this.rng.int(0, ALPHANUM.length - 1)];
    return s;
  }
  /** Ids with a skew: a few hot ones, a long tail. */
  private userId(): number {
    return this.rng.chance(0.3) ? this.rng.int(1, 100) : this.rng.int(101, 200_000);
  }
  private path(): string {
    return this.rng.pick(PATHS).replace('{id}', String(this.rng.int(1, 50_000))).replace('{uuid}', this.uuid()).replace('{hex}', this.rng.hex(3));
  }
  private ms(median: number): number {
    return Math.max(1, Math.round(this.rng.logNormal(median, 1)));
  }

  next(timeMs: number): LogRecord {
    const r = this.rng;
    const roll = r.next();
    let service: Service;
    let severity = 9;
    let body: AnyValue;
    const attributes: Attribute[] = [];
    let traced = false;
    if (roll < NEEDLES.deadlock.share) {
      service = 'inventory';
      severity = 17;
      body = { type: 'string', value: `ERROR: ${NEEDLES.deadlock.line} ${r.int(100_000, 999_999)}; blocked by process ${r.int(1000, 9999)}` };
    } else if (roll < NEEDLES.deadlock.share + NEEDLES.outOfMemory.share) {
      service = r.pick(APPS);
      severity = 21;
      body = { type: 'string', value: `Exception in thread "kafka-producer-network-thread | producer-${r.int(1, 4)}" ${NEEDLES.outOfMemory.line}` };
    } else if (roll < 0.4) {
      // Access lines of the ingress (combined format plus the request time).
      service = 'ingress-nginx';
      const status = r.pick(STATUSES);
      severity = status >= 500 ? 17 : status >= 400 ? 13 : 9;
      const d = new Date(timeMs);
      const stamp = `${String(d.getUTCDate()).padStart(2, '0')}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)} +0000`;
      const method = r.pick(METHODS);
      const path = this.path();
      const user = r.chance(0.2) ? `user${this.userId()}` : '-';
      body = { type: 'string', value: `${this.ip()} - ${user} [${stamp}] "${method} ${path}${r.chance(0.2) ? `?page=${r.int(1, 20)}&size=50` : ''} HTTP/1.1" ${status} ${status === 204 || status === 304 ? 0 : r.int(2, 60_000)} "${r.chance(0.7) ? '-' : 'https://shop.example.com/catalog'}" "${r.pick(AGENTS)}" rt=${(this.ms(12) / 1000).toFixed(3)} upstream=${r.pick(APPS)}` };
      attributes.push(str('http.request.method', method), int('http.response.status_code', status));
    } else if (roll < 0.62) {
      service = r.pick(APPS);
      traced = true;
      const k = r.int(0, 9);
      const order = this.orderId();
      const user = this.userId();
      const lines = [
        () => `order ord_${order} placed by user ${user}: ${r.int(1, 9)} items, total ${(r.int(100, 90_000) / 100).toFixed(2)} ${r.pick(CURRENCIES)}`,
        () => `handled request ${r.pick(METHODS)} ${this.path()} in ${this.ms(20)} ms`,
        () => `cache miss for key ${r.pick(CACHE_KEYS)}:${r.int(1, 50_000)}, loading from database`,
        () => `cache hit ratio ${(r.next() * 100).toFixed(1)}% over the last ${r.int(1, 5)} minutes`,
        () => `user ${user} logged in from ${this.ip()} (session ${this.uuid()})`,
        () => `reserved ${r.int(1, 5)} units of sku-${r.int(1, 50_000)} for cart ${this.uuid()}`,
        () => `shipment quote for ord_${order}: ${r.pick(['DHL', 'UPS', 'FedEx', 'GLS'])} ${r.int(1, 7)} days, ${(r.int(300, 4000) / 100).toFixed(2)} EUR`,
        () => `sent ${r.pick(['order confirmation', 'shipping notice', 'password reset', 'receipt'])} email to customer ${user}`,
        () => `search for "${r.pick(['red shoes', 'usb-c cable', 'coffee beans', 'rain jacket', 'headphones', 'desk lamp'])}" returned ${r.int(0, 400)} results in ${this.ms(8)} ms`,
        () => `payment ${this.uuid()} captured for ord_${order} via ${r.pick(['visa', 'mastercard', 'paypal', 'klarna'])}`,
      ];
      body = { type: 'string', value: lines[k]() };
      attributes.push(str('code.namespace', `com.acme.${service}`), int('user.id', user));
    } else if (roll < 0.77) {
      // JSON: as text from some services, as an OTLP kvlist body from others.
      service = r.pick(APPS);
      traced = r.chance(0.5);
      const event = r.pick(['cache.evicted', 'db.query', 'http.client', 'stock.updated', 'price.changed', 'session.expired']);
      const fields: Attribute[] = [str('event', event), int('duration_ms', this.ms(5)), str('table', r.pick(TABLES)), int('rows', r.int(0, 500)), str('request_id', this.uuid())];
      if (r.chance(0.3)) fields.push(str('sql', `SELECT * FROM ${r.pick(TABLES)} WHERE id = $1 LIMIT ${r.int(1, 100)}`));
      if (r.chance(0.5)) {
        body = { type: 'kvlist', value: fields };
      } else {
        const o: Record<string, unknown> = { level: 'info', msg: event.replace('.', ' ') };
        for (const f of fields) o[f.key] = f.type === 'int' ? Number(f.value) : f.value;
        body = { type: 'string', value: JSON.stringify(o) };
      }
      if (r.chance(0.1)) severity = 5;
    } else if (roll < 0.87) {
      service = r.pick(APPS);
      severity = 13;
      traced = true;
      const lines = [
        () => `Retrying charge for order ord_${this.orderId()} (attempt ${r.int(2, 5)} of 5) after SocketTimeoutException: Read timed out`,
        () => `slow query on ${r.pick(TABLES)} took ${this.ms(900)} ms (threshold 500 ms)`,
        () => `rate limit exceeded for client ${this.ip()}: ${r.int(100, 1000)} requests in 60 s`,
        () => `connection pool ${r.pick(['hikari', 'redis', 'grpc'])} at ${r.int(80, 100)}% capacity, ${r.int(0, 40)} waiting`,
        () => `upstream ${r.pick(APPS)} responded ${r.pick([502, 503, 504])} to ${this.path()}, retrying in ${r.int(1, 8) * 100} ms`,
        () => `certificate for ${r.pick(['shop.example.com', 'api.example.com', 'pay.example.com'])} expires in ${r.int(1, 30)} days`,
      ];
      body = { type: 'string', value: r.pick(lines)() };
    } else if (roll < 0.95) {
      service = r.pick(APPS);
      severity = 17;
      traced = true;
      const [name, message] = r.pick(EXCEPTIONS);
      let text = `Request processing failed: ${name}: ${message.replace('{uuid}', this.uuid()).replace('{ord}', this.orderId())}`;
      if (r.chance(0.3)) {
        for (let i = 0, n = r.int(2, 5); i < n; i++) text += `\n\tat ${r.pick(FRAMES)}`;
        text += `\n\t... ${r.int(10, 80)} common frames omitted`;
      }
      body = { type: 'string', value: text };
      attributes.push(str('exception.type', name));
    } else {
      service = 'kubelet';
      const reason = r.pick(K8S_REASONS);
      const app = r.pick(APPS);
      const pod = `${app}-${r.hex(4).slice(0, 8)}-${this.orderId().toLowerCase().slice(0, 5)}`;
      severity = ['BackOff', 'Unhealthy', 'FailedScheduling'].includes(reason) ? 13 : 9;
      const text: Record<string, () => string> = {
        Pulled: () => `Successfully pulled image "ghcr.io/acme/${app}:1.${r.int(0, 9)}.${r.int(0, 20)}" in ${(r.next() * 5).toFixed(3)}s`,
        Created: () => `Created container ${app}`,
        Started: () => `Started container ${app}`,
        Killing: () => `Stopping container ${app} in pod ${pod}`,
        BackOff: () => `Back-off restarting failed container ${app} in pod ${pod}_shop(${this.uuid()})`,
        Unhealthy: () => `Liveness probe failed: HTTP probe failed with statuscode: ${r.pick([500, 503])}`,
        ScalingReplicaSet: () => `Scaled ${r.chance(0.5) ? 'up' : 'down'} replica set ${app}-${r.hex(4).slice(0, 8)} to ${r.int(1, 8)}`,
        FailedScheduling: () => `0/${r.int(3, 12)} nodes are available: ${r.int(1, 6)} Insufficient cpu, ${r.int(1, 6)} node(s) had untolerated taint`,
        SuccessfulCreate: () => `Created pod: ${pod}`,
      };
      body = { type: 'string', value: text[reason]() };
      attributes.push(str('k8s.event.reason', reason), str('k8s.object', `pod/${pod}`));
    }
    const level = severity >= 21 ? 'FATAL' : severity >= 17 ? 'ERROR' : severity >= 13 ? 'WARN' : severity >= 9 ? 'INFO' : 'DEBUG';
    return {
      resource: this.resources.get(service)!,
      scope: { name: `com.acme.${service}`, version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      timeMs,
      timeNanos: r.int(0, 999_999),
      observedTimeMs: timeMs + r.int(0, 20),
      observedTimeNanos: 0,
      severityNumber: severity,
      severityText: level,
      body,
      attributes,
      droppedAttributesCount: 0,
      flags: traced ? 1 : 0,
      traceId: traced ? r.hex(16) : '',
      spanId: traced ? r.hex(8) : '',
      eventName: '',
    };
  }
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** `count` log records, one every 1/perSecond s of event time from `startMs`. */
export function* benchLogs(o: Omit<LogWorkloadOptions, 'batch'>): Generator<LogRecord> {
  const maker = new LineMaker(o.seed);
  for (let i = 0; i < o.count; i++) yield maker.next(o.startMs + Math.floor((i * 1000) / o.perSecond));
}

/**
 * The workload as input records: each service's records gather into export batches of `batch`; a batch becomes an
 * input record when full (what is left at the end, then). `onRecord` sees every log record (e.g. to keep bodies).
 */
export function* logInputs(o: LogWorkloadOptions, onRecord?: (record: LogRecord, body: string) => void): Generator<LogInput> {
  const batch = o.batch ?? 128;
  const pending = new Map<string, LogRecord[]>();
  const text = new Map<string, { body: number; text: number }>();
  const emit = (service: string, records: LogRecord[]): LogInput => {
    const t = text.get(service)!;
    text.set(service, { body: 0, text: 0 });
    return { key: service, value: encodeLogs(records), at: records[records.length - 1].timeMs, logs: records.length, bodyBytes: t.body, textBytes: t.text };
  };
  for (const record of benchLogs(o)) {
    const service = String(record.resource.attributes[0].value);
    const body = bodyText(record);
    onRecord?.(record, body);
    const t = text.get(service) ?? { body: 0, text: 0 };
    const bodyBytes = utf8(body);
    let attributeBytes = 0;
    for (const a of record.attributes) attributeBytes += utf8(a.key) + utf8(String(a.value));
    text.set(service, { body: t.body + bodyBytes, text: t.text + bodyBytes + attributeBytes });
    let list = pending.get(service);
    if (list === undefined) pending.set(service, (list = []));
    list.push(record);
    if (list.length >= batch) {
      pending.set(service, []);
      yield emit(service, list);
    }
  }
  for (const [service, list] of pending) if (list.length > 0) yield emit(service, list);
}
