// The web UI's assets: the browser app (src/query/ui/app, TypeScript + JSX) bundled with esbuild once per process,
// with its libraries' CSS — everything served by the query service itself, nothing from a CDN.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

export interface UiAssets {
  js: string;
  css: string;
}

const APP_DIR = join(import.meta.dirname, 'app');
const require = createRequire(import.meta.url);

let bundled: Promise<UiAssets> | undefined;

/** The bundled app (built on first use, then kept; a failed build is retried on the next request). */
export function uiAssets(): Promise<UiAssets> {
  bundled ??= bundle().catch((err: unknown) => {
    bundled = undefined;
    throw err;
  });
  return bundled;
}

async function bundle(): Promise<UiAssets> {
  const result = await build({
    entryPoints: [join(APP_DIR, 'main.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(APP_DIR, 'tsconfig.json'),
    logLevel: 'silent',
    outdir: 'out',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
  const appCss = result.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js, css: `${uplotCss}\n${appCss}` };
}

/** The one HTML page: every view is a hash route of the app. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>otlp-streams</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/app.css">
<script>
  // The theme before the first paint: the saved choice, else the system's.
  document.documentElement.dataset.theme = localStorage.getItem('otlp-streams.theme') ||
    (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
</script>
</head>
<body>
<div id="app"></div>
<script type="module" src="/ui/assets/app.js"></script>
</body>
</html>
`;
