import type { Application } from 'express';

/** The parts of Express 5's router (router 2.x) that say what was mounted where. */
interface LayerLike {
  /** Set on the layer of a route (`router.get(path, ...)`): the Route object, with its path pattern. */
  readonly route?: { readonly path: unknown };
  /** A mounted router's own stack, when the layer is one. */
  readonly handle?: { readonly stack?: readonly LayerLike[] };
  /** The path the layer was mounted at (`router.use(path, ...)`), as given. */
  readonly rawPath?: unknown;
}

const templatesByApp = new WeakMap<Application, Map<object, string>>();

/** `'/x/'` → `'/x'`, `'/'` → `''`: how Express joins a mount path and what follows it. */
const mountPrefix = (path: string) => path.replace(/\/+$/, '');

const patterns = (path: unknown): string[] => (Array.isArray(path) ? path.flat(Infinity) : [path]).filter((p): p is string => typeof p === 'string');

function collect(stack: readonly LayerLike[], prefix: string, into: Map<object, string>): void {
  for (const layer of stack) {
    if (layer.route) {
      // A route mounted under several paths keeps the first: one series per route.
      const [first] = patterns(layer.route.path);
      // A router's own root ('/') is its mount path: `/scim/v2/Users`, not `/scim/v2/Users/`.
      if (first !== undefined && !into.has(layer.route)) into.set(layer.route, first === '/' && prefix !== '' ? prefix : `${prefix}${first}`);
    } else if (layer.handle?.stack) {
      for (const mount of patterns(layer.rawPath)) collect(layer.handle.stack, `${prefix}${mountPrefix(mount)}`, into);
    }
  }
}

/**
 * The template of the route that matched a request (`/scim/v2/Users/:id`), as registered: the
 * mount paths of its routers and its own path pattern, never the request's path. Express matches
 * paths case-insensitively and `req.baseUrl` is the path as the client wrote it, so a label built
 * from it would grow with every spelling a client invents; this one cannot. Undefined when no
 * route matched (an unknown path, or a middleware answered first: 401, 404, 405, 429) or the
 * route is one this walk does not know (mounted with a RegExp).
 *
 * The app's routers are walked once, at the first request: every route is mounted at start-up.
 */
export function routeTemplate(app: Application, route: unknown): string | undefined {
  if (typeof route !== 'object' || route === null) return undefined;
  let templates = templatesByApp.get(app);
  if (!templates) {
    templates = new Map();
    const router = (app as unknown as { router?: { stack?: readonly LayerLike[] } }).router;
    collect(router?.stack ?? [], '', templates);
    templatesByApp.set(app, templates);
  }
  return templates.get(route);
}
