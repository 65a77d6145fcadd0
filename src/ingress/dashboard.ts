// The admin dashboard (bull-board) for every queue of the registry, mounted behind
// adminAuth by app.ts. Job data is masked before it reaches the browser, so the two
// bull-board actions that would write shown data back (edit data, duplicate as a new job)
// are refused: they would store the masks in place of the real numbers and texts.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import type { QueueSet } from '../queues/queue-set.ts';
import { ALL_QUEUE_KEYS, QUEUES } from '../queues/registry.ts';
import { ErrorCode } from '../errors.ts';
import { errorAnswer } from './errors-middleware.ts';
import { sendError } from './http-error.ts';
import { maskJobData } from '../mask.ts';

export const DASHBOARD_PATH = '/admin/queues';

type BoardStatus = NonNullable<ReturnType<Parameters<ExpressAdapter['setErrorHandler']>[0]>['status']>;

const WRITES_SHOWN_DATA = [/^\/api\/queues\/[^/]+\/add\/?$/, /^\/api\/queues\/[^/]+\/[^/]+\/update-data\/?$/];

const refuseMaskedWrites: RequestHandler = (req, res, next) => {
  if (req.method !== 'GET' && WRITES_SHOWN_DATA.some((re) => re.test(req.path))) {
    sendError(res, ErrorCode.Forbidden, 'job data is masked in the dashboard; edit or add jobs through the API');
    return;
  }
  next();
};

/** Handlers to mount at DASHBOARD_PATH, after authentication. */
export function createDashboardHandlers(queues: QueueSet, logger: Logger): RequestHandler[] {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const adapters = ALL_QUEUE_KEYS.map((key) => {
    const adapter = new BullMQAdapter(queues.get(key), { readOnlyMode: false, description: QUEUES[key].description });
    adapter.setFormatter('data', (data: unknown) => maskJobData(data));
    adapter.setFormatter('returnValue', (value: unknown) => maskJobData(value));
    return adapter;
  });
  createBullBoard({ queues: adapters, serverAdapter, options: { uiConfig: { boardTitle: 'cxone-fleet' } } });
  // Replaces bull-board's own handler (read at error time): an unreachable Redis is a 503
  // to retry, and no other error's message or stack is sent to the browser.
  serverAdapter.setErrorHandler((err) => {
    const a = errorAnswer(err);
    if (a.log === 'error') logger.error({ err }, 'dashboard error');
    // bull-board's status type omits some statuses (503), which its Express adapter passes through unchanged.
    return { status: a.status as BoardStatus, body: a.body };
  });
  return [refuseMaskedWrites, serverAdapter.getRouter() as RequestHandler];
}
