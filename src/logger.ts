// pino with redaction: tokens, secrets, passwords, signatures and Authorization headers
// never reach a log line, whatever object a caller hands in and however deep it sits.
//
// Redaction is a walk over the log object by key name, not pino's path-based `redact`:
// with the wildcard paths that "whatever object" needs, pino's redaction cost about 25 µs
// per line (ten times the rest of the call), and the ingress and every worker write a
// line per request or job. The walk copies only an object that holds a secret.
import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger } from 'pino';

/** Keys whose values are never logged (compared case-insensitively, at any depth). */
export const SECRET_KEYS: ReadonlySet<string> = new Set(
  [
    'password',
    'secret',
    'token',
    'accessToken',
    'access_token',
    'refreshToken',
    'refresh_token',
    'clientSecret',
    'client_secret',
    'privateKey',
    'private_key',
    'authorization',
    'cookie',
    'set-cookie',
    'x-cxone-signature',
  ].map((k) => k.toLowerCase()),
);

export const CENSOR = '[redacted]';
/** Deeper than this nothing is looked at (log objects are shallow; cycles end here too). */
const MAX_DEPTH = 6;

/** Objects logged as their own keys: not Errors (the err serializer's job), Buffers, Dates... */
function isWalkable(v: object): v is Record<string, unknown> {
  return !(v instanceof Error) && !ArrayBuffer.isView(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * The value with every secret key's value replaced by CENSOR, in plain objects and arrays.
 * Returns the very same value when it holds no secret (the common case: no copy at all);
 * otherwise copies only the objects on the way to a secret, never mutating the caller's.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const r = redactSecrets(value[i] as unknown, depth + 1);
      if (r !== value[i]) (out ??= value.slice())[i] = r;
    }
    return (out ?? value) as T;
  }
  if (!isWalkable(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = value[key];
    const r = SECRET_KEYS.has(key.toLowerCase()) ? (v === undefined || v === null ? v : CENSOR) : redactSecrets(v, depth + 1);
    if (r !== v) (out ??= { ...value })[key] = r;
  }
  return (out ?? value) as T;
}

export type { Logger };

export function createLogger(opts: { level: string; name?: string }, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level: opts.level,
      name: opts.name ?? 'cxone-fleet',
      // The line's own object (serializers, such as err's, run after this).
      formatters: { log: (obj) => redactSecrets(obj) },
      serializers: { err: (err: Error) => redactSecrets(pino.stdSerializers.err(err)) },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
  // pino applies a bindings formatter to the root's bindings only, never a child's, so the
  // bindings are redacted on their way in. Children inherit this method (pino makes a child
  // with Object.create(parent)), so grandchildren are covered too.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(this): each child passes itself on
  const pinoChild = logger.child as unknown as (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) => Logger;
  logger.child = function (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) {
    return pinoChild.call(this, redactSecrets(bindings), options);
  } as unknown as Logger['child'];
  return logger;
}
