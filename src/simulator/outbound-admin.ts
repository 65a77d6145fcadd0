// /_sim/preview/*: the HTTP twins of sim.preview for out-of-process drivers (benchmarks, CLI
// e2e): config (GET/POST), touch (POST {id, fields}), campaign (GET ?id=), webhooks (GET),
// release (POST: answer the held contact page requests).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { configureFromBody } from './admin.ts';
import type { SimLogger } from './config.ts';
import { methodNotAllowed, notFound, parseJsonBody, runAdminAction, writeJson, type SimResponse } from './http-io.ts';
import type { OutboundControl } from './outbound.ts';
import type { SimAdminHandler } from './sim-module.ts';

const PREFIX = '/_sim/preview/';
const touchBody = z.object({ id: z.string().min(1), fields: z.record(z.string(), z.unknown()) }).strict();

type Action = (raw: Buffer, q: URLSearchParams) => SimResponse;

export function createOutboundAdminHandler(control: OutboundControl, logger: SimLogger): SimAdminHandler {
  const orMissing = (v: unknown): SimResponse => (v ? { status: 200, body: v } : { status: 404, body: { error: 'not_found' } });
  const table: Record<string, Record<string, Action>> = {
    config: { GET: () => ({ status: 200, body: control.config() }), POST: (raw) => configureFromBody(raw, (p) => control.configure(p)) },
    touch: {
      POST: (raw) => {
        const b = parseJsonBody(raw, touchBody);
        return orMissing(control.touch(b.id, b.fields));
      },
    },
    campaign: { GET: (_r, q) => orMissing(control.campaign(q.get('id') ?? '')) },
    webhooks: { GET: () => ({ status: 200, body: { data: control.webhooks() } }) },
    release: { POST: () => ({ status: 200, body: { released: control.release() } }) },
  };
  return (req: IncomingMessage, res: ServerResponse, pathname: string, search: string) => {
    const entry = table[pathname.slice(PREFIX.length)];
    const action = entry?.[req.method ?? ''];
    if (!action) {
      req.resume();
      writeJson(res, entry ? methodNotAllowed(Object.keys(entry)) : notFound(req.method ?? '', pathname));
      return;
    }
    runAdminAction(req, res, (raw) => action(raw, new URLSearchParams(search)), logger, 'preview');
  };
}
