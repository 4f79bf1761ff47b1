// The web UI's routes: the page, and the bundle esbuild makes of the app (every library inside it, nothing fetched
// from elsewhere).
import { describe, expect, it } from 'vitest';
import { uiRoutes } from './ui.ts';
import type { Reply, RouteContext, RouteRequest } from './route.ts';

async function get(path: string): Promise<Reply> {
  const route = uiRoutes().find((r) => r.path === path);
  if (!route) throw new Error(`no route ${path}`);
  return route.handle({} as RouteRequest, {} as RouteContext);
}

describe('web UI routes', () => {
  it('serves the page, which loads only the bundled script and styles', async () => {
    const page = await get('/ui');
    expect(page.type).toMatch(/^text\/html/);
    const html = String(page.body);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(['/ui/assets/app.css', '/ui/assets/app.js', 'data:,']);
    expect((await get('/')).headers?.location).toBe('/ui/');
  });

  it('bundles the app with its libraries into one script and one stylesheet', async () => {
    const js = await get('/ui/assets/app.js');
    expect(js.type).toMatch(/^text\/javascript/);
    const code = String(js.body);
    // No import is left for the browser to resolve: everything is in the bundle.
    expect(code).not.toMatch(/\bimport\s*[{*\w][^;]*from\s*["']/);
    expect(code).not.toMatch(/\bimport\(\s*["']/);
    const css = await get('/ui/assets/app.css');
    expect(String(css.body)).toContain('.uplot');
    expect(String(css.body)).toMatch(/\[data-theme=.?dark.?\]/);
  });
});
