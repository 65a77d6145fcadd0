// /_sim/<module>/* handlers as a table of actions by path and method: unknown path 404,
// known path with a wrong method 405 + Allow, HttpProblem as its answer, anything else 500.
// Like the rest of /_sim/* there is no auth, no fault and no rate limit here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorConfigError, type SimLogger } from './config.ts';
import { ClientGone, HttpProblem, methodNotAllowed, notFound, readBody, validationProblem, writeJson, type SimResponse } from './http-io.ts';
import type { SimAdminHandler } from './sim-module.ts';

export type AdminAction = (raw: Buffer, query: URLSearchParams) => SimResponse;
export type AdminRoutes = Record<string, Record<string, AdminAction>>;

/** GET shows a module's runtime knobs; POST merges a patch, which `configure` validates (400 naming each bad field). */
export function configRoute<P>(control: { config(): unknown; configure(patch: P): unknown }): Record<string, AdminAction> {
  return {
    GET: () => ({ status: 200, body: control.config() }),
    POST: (raw) => {
      try {
        return { status: 200, body: control.configure((raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'))) as P) };
      } catch (err) {
        if (err instanceof SimulatorConfigError) throw validationProblem(err.issues);
        if (err instanceof SyntaxError) throw new HttpProblem(400, { error: 'malformed_json', message: err.message });
        throw err;
      }
    },
  };
}

export function adminTableHandler(prefix: string, routes: AdminRoutes, logger: SimLogger): SimAdminHandler {
  return (req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void => {
    const route = routes[pathname.slice(prefix.length)];
    const action = route?.[req.method ?? ''];
    if (!route || !action) {
      req.resume();
      writeJson(res, route ? methodNotAllowed(Object.keys(route)) : notFound(req.method ?? '', pathname));
      return;
    }
    void readBody(req)
      .then((raw) => writeJson(res, action(raw, new URLSearchParams(search))))
      .catch((err: unknown) => {
        if (err instanceof ClientGone) return;
        if (err instanceof HttpProblem) return void writeJson(res, err.toResponse());
        logger.error({ err, path: pathname }, 'simulator admin action failed');
        writeJson(res, { status: 500, body: { error: 'internal' } });
      });
  };
}
