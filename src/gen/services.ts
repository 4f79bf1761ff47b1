// The simulated system: services with instances, operations, and the downstream calls each operation makes.
import type { Attribute, Resource, Scope } from '../otlp/index.ts';

export interface Call {
  service: string;
  operation: string;
  /** Probability the call is made by one execution of the caller. */
  probability: number;
}

export interface Operation {
  name: string;
  /** Median own duration in ms (before downstream calls). */
  medianMs: number;
  /** Probability the operation itself fails. */
  errorRate: number;
  calls: Call[];
  /** HTTP route for server spans; empty for internal work. */
  route: string;
}

export interface Service {
  name: string;
  namespace: string;
  version: string;
  language: string;
  instances: number;
  operations: Operation[];
}

const op = (name: string, route: string, medianMs: number, errorRate: number, calls: Call[] = []): Operation => ({ name, route, medianMs, errorRate, calls });
const call = (service: string, operation: string, probability = 1): Call => ({ service, operation, probability });

/** A small web shop, in the spirit of the OpenTelemetry demo. */
export const SHOP: readonly Service[] = [
  {
    name: 'frontend', namespace: 'shop', version: '2.3.1', language: 'nodejs', instances: 3,
    operations: [
      op('GET /', '/', 4, 0.002, [call('product-catalog', 'ListProducts'), call('recommendation', 'ListRecommendations', 0.8), call('ad', 'GetAds', 0.6)]),
      op('GET /product/{id}', '/product/{id}', 3, 0.003, [call('product-catalog', 'GetProduct'), call('recommendation', 'ListRecommendations', 0.7)]),
      op('POST /cart', '/cart', 3, 0.005, [call('cart', 'AddItem')]),
      op('POST /checkout', '/checkout', 6, 0.01, [call('checkout', 'PlaceOrder')]),
    ],
  },
  {
    name: 'product-catalog', namespace: 'shop', version: '1.8.0', language: 'go', instances: 2,
    operations: [op('ListProducts', '', 2, 0.001, [call('postgres', 'SELECT products')]), op('GetProduct', '', 1, 0.001, [call('postgres', 'SELECT products')])],
  },
  { name: 'recommendation', namespace: 'shop', version: '0.9.4', language: 'python', instances: 2, operations: [op('ListRecommendations', '', 8, 0.004, [call('product-catalog', 'ListProducts')])] },
  { name: 'ad', namespace: 'shop', version: '1.1.0', language: 'java', instances: 1, operations: [op('GetAds', '', 3, 0.002)] },
  {
    name: 'cart', namespace: 'shop', version: '3.0.2', language: 'dotnet', instances: 2,
    operations: [op('AddItem', '', 1, 0.003, [call('redis', 'HSET')]), op('GetCart', '', 1, 0.002, [call('redis', 'HGETALL')]), op('EmptyCart', '', 1, 0.002, [call('redis', 'DEL')])],
  },
  {
    name: 'checkout', namespace: 'shop', version: '1.4.7', language: 'go', instances: 2,
    operations: [
      op('PlaceOrder', '', 5, 0.01, [
        call('cart', 'GetCart'), call('product-catalog', 'GetProduct'), call('currency', 'Convert', 0.5),
        call('payment', 'Charge'), call('shipping', 'ShipOrder'), call('cart', 'EmptyCart'), call('email', 'SendConfirmation', 0.9),
      ]),
    ],
  },
  { name: 'currency', namespace: 'shop', version: '1.0.3', language: 'cpp', instances: 1, operations: [op('Convert', '', 0.5, 0.001)] },
  { name: 'payment', namespace: 'shop', version: '2.0.0', language: 'nodejs', instances: 2, operations: [op('Charge', '', 40, 0.03)] },
  { name: 'shipping', namespace: 'shop', version: '1.2.5', language: 'rust', instances: 1, operations: [op('ShipOrder', '', 6, 0.005)] },
  { name: 'email', namespace: 'shop', version: '0.4.1', language: 'ruby', instances: 1, operations: [op('SendConfirmation', '', 25, 0.01)] },
  { name: 'postgres', namespace: 'shop', version: '15', language: 'native', instances: 1, operations: [op('SELECT products', '', 1.5, 0.0005)] },
  { name: 'redis', namespace: 'shop', version: '7.2', language: 'native', instances: 1, operations: [op('HSET', '', 0.3, 0.0005), op('HGETALL', '', 0.3, 0.0005), op('DEL', '', 0.2, 0.0005)] },
];

const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });

/** One running instance of a service, with its shared Resource and Scope objects. */
export interface Instance {
  service: Service;
  resource: Resource;
  scope: Scope;
}

/** Every instance of every service, each with its resource attributes (service, host, k8s pod). */
export function instancesOf(services: readonly Service[]): Map<string, Instance[]> {
  const out = new Map<string, Instance[]>();
  for (const service of services) {
    const list: Instance[] = [];
    for (let i = 0; i < service.instances; i++) {
      const attributes: Attribute[] = [
        str('service.name', service.name),
        str('service.namespace', service.namespace),
        str('service.version', service.version),
        str('service.instance.id', `${service.name}-${i}`),
        str('host.name', `node-${(service.name.length + i) % 4}`),
        str('k8s.pod.name', `${service.name}-7d9f${i}b-x${i}`),
        str('telemetry.sdk.language', service.language),
      ];
      list.push({
        service,
        resource: { attributes, droppedAttributesCount: 0, entityRefs: [], schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
        scope: { name: `${service.name}-instrumentation`, version: '1.0.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      });
    }
    out.set(service.name, list);
  }
  return out;
}
