// Maps method + path to a route whose path template comes from the endpoint map, so the
// simulator serves exactly what the client calls (overrides included). Static paths are a
// hash lookup; templated ones a short regex list, checked only when no static path hits.
import type { Endpoint } from '../cxone/endpoints.ts';

export type RouteMatch<R> =
  | { kind: 'found'; route: R; key: string; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] };

export interface Router<R> {
  match(method: string, path: string): RouteMatch<R> | null;
}

interface PathEntry<R> {
  byMethod: Map<string, { route: R; key: string }>;
}

interface TemplateEntry<R> extends PathEntry<R> {
  regex: RegExp;
  names: string[];
}

const PLACEHOLDER = /\{(\w+)\}/g;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
}

function compileTemplate(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    source += escapeRegex(template.slice(last, m.index)) + '([^/]+)';
    names.push(m[1] ?? '');
    last = m.index + m[0].length;
  }
  source += escapeRegex(template.slice(last));
  return { regex: new RegExp(`^${source}$`), names };
}

export function createRouter<R extends { endpoint: Endpoint }>(routes: readonly R[]): Router<R> {
  const statics = new Map<string, PathEntry<R>>();
  const templates = new Map<string, TemplateEntry<R>>();

  for (const route of routes) {
    const { method, path } = route.endpoint;
    const isTemplate = path.includes('{');
    let entry: PathEntry<R> | undefined = isTemplate ? templates.get(path) : statics.get(path);
    if (!entry) {
      entry = isTemplate ? { byMethod: new Map(), ...compileTemplate(path) } : { byMethod: new Map() };
      if (isTemplate) templates.set(path, entry as TemplateEntry<R>);
      else statics.set(path, entry);
    }
    // Two modules claiming one endpoint is a wiring bug: fail at start-up, not per request.
    if (entry.byMethod.has(method)) throw new Error(`simulator route ${method} ${path} registered twice`);
    entry.byMethod.set(method, { route, key: `${method} ${path}` });
  }

  const resolve = (entry: PathEntry<R>, method: string, params: Record<string, string>): RouteMatch<R> => {
    const hit = entry.byMethod.get(method);
    if (hit) return { kind: 'found', route: hit.route, key: hit.key, params };
    return { kind: 'method-not-allowed', allow: [...entry.byMethod.keys()] };
  };

  return {
    match(method, path) {
      const s = statics.get(path);
      if (s) return resolve(s, method, {});
      for (const t of templates.values()) {
        const m = t.regex.exec(path);
        if (!m) continue;
        const params: Record<string, string> = {};
        t.names.forEach((name, i) => {
          const raw = m[i + 1] ?? '';
          try {
            params[name] = decodeURIComponent(raw);
          } catch {
            params[name] = raw;
          }
        });
        return resolve(t, method, params);
      }
      return null;
    },
  };
}
