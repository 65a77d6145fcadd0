// The webhook routes: read the raw body (limit), verify the signature, parse, validate, write
// the job under a deterministic id, and only then answer 2xx. A redelivered event finds its
// job already there and is answered 200 "duplicate" without a second job.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { QueueSet } from '../queues/queue-set.ts';
import { QUEUES } from '../queues/registry.ts';
import type { RedisConnection } from '../redis.ts';
import { ErrorCode, httpStatusOf, zodIssuesToFields, type ErrorCodeValue } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { contextOf, setRoute } from './context.ts';
import { answerError } from './errors-middleware.ts';
import type { BeginRequest } from './request-id.ts';
import { RedisUnavailableError, isRedisUnavailable, sendError, sendJson, unavailable, withTimeout } from './http-error.ts';
import { BodyAbortedError, BodyTooLargeError, UnsupportedEncodingError, readRawBody } from './raw-body.ts';
import type { RejectionReason, RejectionStore } from './rejections.ts';
import { jsonShapeProblem } from './json-bounds.ts';
import { checkSignature } from './signature.ts';
import { WEBHOOK_KINDS } from '../platform/modules.ts';
import { eventIdOf, jobIdOf, type WebhookKind, type WebhookVerdict } from './webhook-kinds.ts';

export interface WebhookDeps {
  config: Config;
  metrics: Metrics;
  redis: RedisConnection;
  queues: QueueSet;
  enqueuer: Enqueuer;
  rejections: RejectionStore;
  now: () => number;
  /** Bound on the Redis write; past it the answer is 503 so CXone retries (default 800 ms). */
  enqueueTimeoutMs?: number;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json$/;

function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined || header === '') return true; // some senders omit it; the body decides
  return JSON_TYPE.test(header.split(';')[0]!.trim().toLowerCase());
}

/** Every webhook route is under this path. */
export const WEBHOOKS_PATH = '/webhooks';

export function mountWebhooks(app: Express, deps: WebhookDeps): void {
  for (const kind of WEBHOOK_KINDS) {
    // Opening every webhook queue up front: its first use must not pay BullMQ's connection set-up.
    deps.queues.get(kind.queue);
    app.post(kind.path, (req, res) => handleWebhook(kind, deps, req, res));
  }
}

/** A webhook path no domain module serves: 404 naming the ones that exist, nothing stored. */
export const unknownWebhook: RequestHandler = (req, res) => {
  const webhooks = WEBHOOK_KINDS.map((k) => k.path);
  sendError(res, ErrorCode.NotFound, `no webhook route ${req.method} ${req.originalUrl.split('?')[0]}; this fleet accepts ${webhooks.join(', ')}`, { webhooks });
};

/**
 * The webhook lane: POSTs to a webhook route answered on plain node:http, ahead of Express.
 * They need none of what Express adds (routing by pattern, body parsers, response helpers),
 * and on this project's 2-core bench machine Express's own work per request was about half
 * of a webhook's CPU (same handler: ~430-640 µs through Express, ~210-330 µs without). The
 * handler, the request context, metrics and access line are the same either way; returns
 * false for anything else, which Express then serves.
 */
export function webhookLane(deps: WebhookDeps & { begin: BeginRequest; logger: Logger }): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byPath = new Map(WEBHOOK_KINDS.map((kind) => [kind.path, kind]));
  return (req, res) => {
    if (req.method !== 'POST' || !req.url) return false;
    const q = req.url.indexOf('?');
    const kind = byPath.get(q === -1 ? req.url : req.url.slice(0, q));
    if (!kind) return false;
    deps.begin(req, res, kind.path);
    handleWebhook(kind, deps, req, res).catch((err: unknown) => {
      // Answered as Express's last handler would answer it.
      if (!answerError(err, res, deps.logger)) res.destroy();
    });
    return true;
  };
}

async function handleWebhook(kind: WebhookKind, deps: WebhookDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  setRoute(res, kind.path);
  const ctx = contextOf(res);
  const limit = deps.config.ingress.bodyLimitBytes;

  const reject = async (reason: RejectionReason, code: ErrorCodeValue, message: string, body?: Buffer, details?: unknown) => {
    const status = httpStatusOf(code);
    deps.metrics.webhooks.inc({ kind: kind.kind, result: reason });
    // Detail for admins and the request's log line; the caller only learns the generic code.
    Object.assign(ctx.fields, { kind: kind.kind, rejected: reason });
    if (status === 413) res.setHeader('Connection', 'close');
    sendError(res, code, message, details);
    const issues = (details as { issues?: { path: string; message: string }[] } | undefined)?.issues;
    try {
      await deps.rejections.record(
        { route: kind.path, reason, status, requestId: ctx.requestId, bytes: body?.length ?? 0, body, ...(issues ? { issues } : {}) },
        deps.now(),
      );
    } catch (err) {
      ctx.log.warn({ err }, 'could not record webhook rejection');
    }
  };

  let raw: Buffer;
  try {
    raw = await readRawBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return reject('payload_too_large', ErrorCode.PayloadTooLarge, `body exceeds ${limit} bytes`);
    if (err instanceof UnsupportedEncodingError) {
      return reject('unsupported_encoding', ErrorCode.UnsupportedMediaType, 'content-encoding not supported');
    }
    if (err instanceof BodyAbortedError) {
      ctx.fields.aborted = true;
      return;
    }
    throw err;
  }

  const verdict: WebhookVerdict = kind.verify ? await kind.verify({ redis: deps.redis, config: deps.config, req, raw, nowMs: deps.now() }) : checkSignature(req, raw, deps.config.ingress, deps.now());
  if (!verdict.ok) return reject(verdict.reason, ErrorCode.Unauthorized, 'signature verification failed', raw);
  const verified = verdict.verified;

  if (!isJsonContentType(req.headers['content-type'])) {
    return reject('unsupported_media_type', ErrorCode.UnsupportedMediaType, 'expected application/json', raw);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return reject('invalid_json', ErrorCode.InvalidJson, 'body is not valid JSON', raw);
  }
  const tooComplex = jsonShapeProblem(json);
  if (tooComplex) return reject('invalid_json', ErrorCode.JsonTooComplex, tooComplex, raw);
  const parsed = kind.body.safeParse(json);
  if (!parsed.success) {
    const issues = zodIssuesToFields(parsed.error.issues).map((i) => ({ ...i, path: i.path || '(root)' }));
    const message = `invalid ${kind.kind} event: ${issues.map((i) => i.path).join(', ')}`;
    return reject('invalid_payload', ErrorCode.Validation, message, raw, { issues });
  }

  const eventId = eventIdOf(parsed.data);
  const jobId = jobIdOf(kind.kind, eventId);
  const meta = { accountId: deps.config.cxone.accountId, requestId: ctx.requestId, eventId, receivedAt: deps.now(), ...(verified ? { verified } : {}) };
  // Read before the add and awaited: it tells a new event from a redelivery. Sent together,
  // nothing guaranteed their order on a cluster (ioredis groups auto-pipelined commands by
  // the slot's node list, which a slot-map refresh can change between the two), and CI once
  // saw a first delivery answered "duplicate". Two concurrent
  // deliveries of one event may both be told "accepted"; either way there is one job. A
  // failed read counts as a new event: the add decides whether Redis took it (it waits for
  // a connection still coming up, where this read, without an offline queue, fails at once).
  let duplicate = false;
  try {
    await withTimeout(
      (async () => {
        duplicate = (await deps.redis.exists(`${deps.queues.prefix}:${QUEUES[kind.queue].name}:${jobId}`).catch(() => 0)) === 1;
        await kind.enqueue(deps.enqueuer, parsed.data, meta, { jobId });
      })(),
      deps.enqueueTimeoutMs ?? 800,
      () => new RedisUnavailableError('enqueue timed out'),
    );
  } catch (err) {
    if (!isRedisUnavailable(err)) throw err;
    deps.metrics.webhooks.inc({ kind: kind.kind, result: 'unavailable' });
    ctx.log.warn({ err, kind: kind.kind }, 'webhook not stored: Redis unavailable');
    const e = unavailable();
    sendError(res, e.code, e.message, undefined, e.headers);
    return;
  }
  deps.metrics.webhooks.inc({ kind: kind.kind, result: duplicate ? 'duplicate' : 'accepted' });
  Object.assign(ctx.fields, { kind: kind.kind, jobId, duplicate });
  sendJson(res, duplicate ? 200 : 202, { status: duplicate ? 'duplicate' : 'accepted', eventId, jobId, requestId: ctx.requestId });
}
