// pino with redaction: tokens, secrets, passwords and Authorization headers never reach a
// log line, whatever object a caller hands in.
import { pino, type Logger, type DestinationStream } from 'pino';

export const REDACT_PATHS = [
  'password',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'clientSecret',
  'client_secret',
  'privateKey',
  'authorization',
  'Authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.clientSecret',
  '*.client_secret',
  '*.privateKey',
  '*.authorization',
  '*.Authorization',
  '*.*.password',
  '*.*.privateKey',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-cxone-signature"]',
];

export type { Logger };

export function createLogger(opts: { level: string; name?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'cxone-fleet',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
