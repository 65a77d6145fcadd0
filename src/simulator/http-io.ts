// Request/response plumbing on bare node:http: bounded body reads, JSON answers, and a
// problem type that handlers throw so the pipeline owns every status line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A response raised from inside a handler; the pipeline turns it into JSON. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(`${status} ${typeof body.error === 'string' ? body.error : JSON.stringify(body.error ?? '')}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
    this.name = 'HttpProblem';
  }

  toResponse(): SimResponse {
    return { status: this.status, body: this.body, headers: this.headers };
  }
}

/** The client went away before its body arrived: nobody is left to answer. */
export class ClientGone extends Error {
  constructor() {
    super('client closed the connection before the request body ended');
    this.name = 'ClientGone';
  }
}

function tooLarge(limit: number): HttpProblem {
  // Closing the connection stops the client from streaming the rest of a huge body.
  return new HttpProblem(
    413,
    { error: 'payload_too_large', message: `request body exceeds ${limit} bytes` },
    { connection: 'close' },
  );
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | null, value?: Buffer): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) {
        req.resume();
        reject(err);
      } else resolve(value ?? Buffer.alloc(0));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    const onError = (): void => finish(new ClientGone());
    const onClose = (): void => {
      if (!req.complete) finish(new ClientGone());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export function writeJson(res: ServerResponse, r: SimResponse): boolean {
  if (res.writableEnded || res.destroyed) return false;
  const payload = r.body === undefined ? '' : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...r.headers,
  });
  res.end(payload);
  return true;
}

export interface FieldProblem {
  field: string;
  message: string;
}

export function validationProblem(details: FieldProblem[]): HttpProblem {
  return new HttpProblem(400, { error: 'validation', details });
}

/** JSON.parse + zod, raising 400 malformed_json or 400 validation with field paths. */
export function parseJsonBody<S extends z.ZodType>(raw: Buffer, schema: S): z.output<S> {
  if (raw.length === 0) throw new HttpProblem(400, { error: 'malformed_json', message: 'empty body, JSON expected' });
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpProblem(400, { error: 'malformed_json', message: (err as Error).message });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw validationProblem(
      parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

export function notFound(method: string, path: string): SimResponse {
  return { status: 404, body: { error: 'not_found', message: `no route for ${method} ${path}` } };
}

export function methodNotAllowed(allow: readonly string[]): SimResponse {
  return { status: 405, body: { error: 'method_not_allowed', allow }, headers: { allow: allow.join(', ') } };
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Serves one /_sim/<module>/ admin action: reads the body, answers its result or its problem. */
export function runAdminAction(
  req: IncomingMessage,
  res: ServerResponse,
  action: (raw: Buffer) => SimResponse,
  logger: { error: (obj: Record<string, unknown>, msg?: string) => void },
  what: string,
): void {
  void readBody(req)
    .then((raw) => writeJson(res, action(raw)))
    .catch((err: unknown) => {
      if (err instanceof ClientGone) return;
      if (err instanceof HttpProblem) return void writeJson(res, err.toResponse());
      logger.error({ err }, `simulator ${what} admin action failed`);
      writeJson(res, { status: 500, body: { error: 'internal' } });
    });
}
