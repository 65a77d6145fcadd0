import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.redis.prefix).toBe('{cxf}');
    // No per-second rate configured: the limiter adapts, from 100/s up to at most 1000/s.
    expect(c.cxone.rateLimit).toMatchObject({ rps: 1000, rpsConfigured: false, headroom: 0.03, burst: 1, adaptive: { startRps: 100 } });
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

  it('takes per-second, per-minute and per-hour budgets; a per-second rate turns adaptive mode off unless asked', () => {
    const rl = loadConfig({ CXONE_RATE_LIMIT_RPS: '200', CXONE_RATE_LIMIT_PER_MIN: '6000', CXONE_RATE_LIMIT_PER_HOUR: '' }).cxone.rateLimit;
    expect(rl).toMatchObject({ rps: 200, rpsConfigured: true, perMin: 6000, perHour: undefined, adaptive: undefined });
    expect(loadConfig({ CXONE_RATE_LIMIT_RPS: '200', CXONE_RATE_LIMIT_ADAPTIVE: 'true' }).cxone.rateLimit.adaptive).toMatchObject({ decrease: 0.2 });
    expect(() => loadConfig({ CXONE_RATE_LIMIT_ADAPTIVE: 'yes' })).toThrow(/CXONE_RATE_LIMIT_ADAPTIVE.*true or false/);
  });

  it('treats blank optional variables as unset', () => {
    expect(loadConfig({ CXONE_SCOPE: '  ', CXONE_TOKEN_URL: '' }).cxone.scope).toBeUndefined();
  });

  it('takes REDIS_CLUSTER_NODES as host:port entries, naming a bad one; blank means a single Redis', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' }).redis.clusterNodes).toEqual(['127.0.0.1:7000', '127.0.0.1:7001']);
    expect(loadConfig({ REDIS_CLUSTER_NODES: '' }).redis.clusterNodes).toEqual([]);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,redis-b' })).toThrow(/REDIS_CLUSTER_NODES.*host:port/);
  });
});
