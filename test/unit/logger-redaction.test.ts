// Secrets never reach a log line: the walk by key name, through a real pino logger.
import { describe, expect, it } from 'vitest';
import { CENSOR, createLogger, redactSecrets } from '../../src/logger.ts';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines, last: () => JSON.parse(lines.at(-1)!) as Record<string, unknown> };
}

describe('redactSecrets', () => {
  it('returns the very same object when there is nothing to hide', () => {
    const line = { requestId: 'r1', route: '/webhooks/sms/status', status: 202, nested: { a: [1, { b: 2 }] } };
    expect(redactSecrets(line)).toBe(line);
  });

  it('censors secret keys at any depth and in any case, copying only what it changes', () => {
    const input = {
      keep: 'x',
      Authorization: 'Bearer abc',
      cfg: { clientSecret: 's3cret', url: 'https://x' },
      list: [{ access_token: 't' }, { fine: true }],
      req: { headers: { 'x-cxone-signature': 'v1=deadbeef', 'content-type': 'application/json', cookie: 'sid=1' } },
      untouched: { plain: 1 },
    };
    const out = redactSecrets(input);
    expect(out).toEqual({
      keep: 'x',
      Authorization: CENSOR,
      cfg: { clientSecret: CENSOR, url: 'https://x' },
      list: [{ access_token: CENSOR }, { fine: true }],
      req: { headers: { 'x-cxone-signature': CENSOR, 'content-type': 'application/json', cookie: CENSOR } },
      untouched: { plain: 1 },
    });
    expect(out.untouched).toBe(input.untouched);
    expect(input.Authorization).toBe('Bearer abc'); // the caller's object is not mutated
    expect(input.cfg.clientSecret).toBe('s3cret');
  });

  it('stops at a cycle or a deep nest instead of recursing forever', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(() => redactSecrets(a)).not.toThrow();
  });
});

describe('logger', () => {
  it('never writes a secret from the line, a child binding or an error', () => {
    const { logger, lines, last } = capture();
    logger.info({ token: 'tok-1', body: { password: 'pw-1', user: 'u' } }, 'line');
    expect(last()).toMatchObject({ token: CENSOR, body: { password: CENSOR, user: 'u' }, msg: 'line' });

    const child = logger.child({ accountId: 'a1', secret: 'sec-1' });
    child.warn('from a child');
    expect(last()).toMatchObject({ accountId: 'a1', secret: CENSOR, msg: 'from a child' });
    child.child({ jobId: 'j1', headers: { authorization: 'Bearer sec-3' } }).info('from a grandchild');
    expect(last()).toMatchObject({ accountId: 'a1', secret: CENSOR, jobId: 'j1', headers: { authorization: CENSOR }, msg: 'from a grandchild' });

    const err = Object.assign(new Error('token request failed'), { details: { response: { access_token: 'tok-2', error: 'x' } } });
    logger.error({ err }, 'failed');
    expect(last()).toMatchObject({ err: { type: 'Error', message: 'token request failed', details: { response: { access_token: CENSOR, error: 'x' } } } });
    expect((last().err as { stack: string }).stack).toContain('token request failed');

    for (const secret of ['tok-1', 'pw-1', 'sec-1', 'sec-3', 'tok-2']) expect(lines.join('\n')).not.toContain(secret);
  });
});
