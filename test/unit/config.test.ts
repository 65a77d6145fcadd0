import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.redis.prefix).toBe('{cxf}');
    expect(c.cxone.rateLimit.rps).toBe(100);
    expect(c.cxone.authStyle).toBe('form');
  });

  it('names every bad variable on its own line, hiding secret values', () => {
    let err: unknown;
    try {
      loadConfig({ CXONE_RATE_LIMIT_RPS: 'fast', FLEET_PREFIX: 'cxf', CXONE_AUTH_STYLE: 'digest', REDIS_URL: 'nope://secret@x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).lines;
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('CXONE_RATE_LIMIT_RPS'))).toContain('"fast"');
    expect(lines.find((l) => l.startsWith('FLEET_PREFIX'))).toContain('hash-tagged');
    expect(lines.find((l) => l.startsWith('CXONE_AUTH_STYLE'))).toContain('"digest"');
    const redisLine = lines.find((l) => l.startsWith('REDIS_URL'))!;
    expect(redisLine).not.toContain('secret');
  });

  it('treats blank optional variables as unset', () => {
    expect(loadConfig({ CXONE_SCOPE: '  ', CXONE_TOKEN_URL: '' }).cxone.scope).toBeUndefined();
  });
});
