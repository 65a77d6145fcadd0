// /_sim/*: the control surface for tests and the demo. No auth, no faults, no rate limit:
// it must keep answering while the API side is being made to misbehave.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorConfigError, redactConfig } from './config.ts';
import type { RuntimeConfig } from './config.ts';
import { ClientGone, HttpProblem, methodNotAllowed, notFound, readBody, validationProblem, writeJson } from './http-io.ts';
import type { SimResponse } from './http-io.ts';
import type { SimLogger } from './config.ts';

export interface AdminDeps {
  stats(): unknown;
  reset(): void;
  /** Validates and applies; throws SimulatorConfigError on a bad patch. */
  configure(patch: unknown): void;
  config(): RuntimeConfig;
  revokeTokens(): void;
  logger: SimLogger;
}

type AdminAction = (body: Buffer) => SimResponse;

export const ADMIN_PREFIX = '/_sim/';

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpProblem(400, { error: 'malformed_json', message: (err as Error).message });
  }
}

export function createAdminHandler(deps: AdminDeps) {
  const routes: Record<string, Record<string, AdminAction>> = {
    '/_sim/stats': { GET: () => ({ status: 200, body: deps.stats() }) },
    '/_sim/reset': {
      POST: () => {
        deps.reset();
        return { status: 200, body: { ok: true } };
      },
    },
    '/_sim/config': {
      GET: () => ({ status: 200, body: redactConfig(deps.config()) }),
      POST: (body) => {
        try {
          deps.configure(parseJson(body));
        } catch (err) {
          if (err instanceof SimulatorConfigError) throw validationProblem(err.issues);
          throw err;
        }
        return { status: 200, body: redactConfig(deps.config()) };
      },
    },
    '/_sim/revoke-tokens': {
      POST: () => {
        deps.revokeTokens();
        return { status: 200, body: { ok: true } };
      },
    },
  };

  return (req: IncomingMessage, res: ServerResponse, pathname: string): void => {
    const method = req.method ?? 'GET';
    const byMethod = routes[pathname];
    const action = byMethod?.[method];
    if (!byMethod || !action) {
      req.resume();
      writeJson(res, byMethod ? methodNotAllowed(Object.keys(byMethod)) : notFound(method, pathname));
      return;
    }
    void readBody(req)
      .then(action)
      .then((r) => writeJson(res, r))
      .catch((err: unknown) => {
        if (err instanceof ClientGone) return;
        if (err instanceof HttpProblem) {
          writeJson(res, err.toResponse());
          return;
        }
        deps.logger.error({ err }, 'simulator admin action failed');
        writeJson(res, { status: 500, body: { error: 'internal' } });
      });
  };
}

/** POST /_sim/<module>/config: a JSON patch to the module's configure, its problems as 400s. */
export function configureFromBody(raw: Buffer, configure: (patch: unknown) => unknown): SimResponse {
  try {
    return { status: 200, body: configure(raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'))) };
  } catch (err) {
    if (err instanceof SimulatorConfigError) throw validationProblem(err.issues);
    if (err instanceof SyntaxError) throw new HttpProblem(400, { error: 'malformed_json', message: err.message });
    throw err;
  }
}
