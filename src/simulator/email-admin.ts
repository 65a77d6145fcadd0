// /_sim/email/*: POST /_sim/email/bounce is the HTTP twin of sim.email.sendBounce() for
// out-of-process drivers (demo, CLI). Like the rest of /_sim/* it has no auth, faults or
// rate limit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmailControl } from './email.ts';
import { bounceInputSchema } from './email-schemas.ts';
import { ClientGone, HttpProblem, methodNotAllowed, notFound, parseJsonBody, readBody, writeJson } from './http-io.ts';
import type { SimAdminHandler } from './sim-module.ts';
import type { SimLogger } from './config.ts';

export const EMAIL_BOUNCE_ADMIN_PATH = '/_sim/email/bounce';

export function createEmailAdminHandler(control: EmailControl, logger: SimLogger): SimAdminHandler {
  return (req: IncomingMessage, res: ServerResponse, pathname: string): void => {
    if (pathname !== EMAIL_BOUNCE_ADMIN_PATH) {
      req.resume();
      writeJson(res, notFound(req.method ?? '', pathname));
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      writeJson(res, methodNotAllowed(['POST']));
      return;
    }
    void readBody(req)
      .then((raw) => {
        const result = control.sendBounce(parseJsonBody(raw, bounceInputSchema));
        if (!result.scheduled) {
          writeJson(res, {
            status: 400,
            body: { error: 'no_webhook_url', message: 'configure webhooks.url or pass url', event: result.event },
          });
        } else writeJson(res, { status: 202, body: result });
      })
      .catch((err: unknown) => {
        if (err instanceof ClientGone) return;
        if (err instanceof HttpProblem) {
          writeJson(res, err.toResponse());
          return;
        }
        logger.error({ err }, 'simulator email admin action failed');
        writeJson(res, { status: 500, body: { error: 'internal' } });
      });
  };
}
