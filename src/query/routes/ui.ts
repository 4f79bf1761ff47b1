// The web UI under /ui: the page, the bundled script and styles. Public (no tenant): the page holds no data; its
// requests to the APIs carry the tenant the user picked.
import { INDEX_HTML, uiAssets } from '../ui/assets.ts';
import type { Reply, Route } from './route.ts';

const page = async (): Promise<Reply> => ({ status: 200, type: 'text/html; charset=utf-8', body: INDEX_HTML, headers: { 'cache-control': 'no-cache' } });

/** The web UI routes. */
export function uiRoutes(): Route[] {
  return [
    { method: 'GET', path: '/', dialect: 'plain', public: true, handle: async () => ({ status: 302, type: 'text/plain', body: 'see /ui/', headers: { location: '/ui/' } }) },
    { method: 'GET', path: '/ui', dialect: 'plain', public: true, handle: page },
    {
      method: 'GET',
      path: '/ui/assets/app.js',
      dialect: 'plain',
      public: true,
      handle: async () => ({ status: 200, type: 'text/javascript; charset=utf-8', body: (await uiAssets()).js, headers: { 'cache-control': 'no-cache' } }),
    },
    {
      method: 'GET',
      path: '/ui/assets/app.css',
      dialect: 'plain',
      public: true,
      handle: async () => ({ status: 200, type: 'text/css; charset=utf-8', body: (await uiAssets()).css, headers: { 'cache-control': 'no-cache' } }),
    },
  ];
}
