// Module resolve hook (runs on Node's loader thread): `kafkajs` imports resolve to the ESM facade in
// kafkajsFacade.ts, except the facade's own import of the real package. See interop.ts.
const facade = new URL('./kafkajsFacade.ts', import.meta.url).href;

interface ResolveContext {
  parentURL?: string;
}
interface ResolveResult {
  url: string;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  if (specifier === 'kafkajs' && context.parentURL !== facade) return { url: facade, shortCircuit: true };
  return next(specifier, context);
}
