// Which errors mean "Redis is unavailable or failing over" (a deferral that spends no
// attempt, or a 503 at the ingress) and which are real failures. Messages are the ones Redis
// 7 and ioredis produce.
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.ts';
import { classifyError, isDeferral, REDIS_UNAVAILABLE_DELAY_MS } from '../../src/queues/outcome.ts';
import { isRedisUnavailable } from '../../src/redis.ts';

// The shape of ioredis' ReplyError (its class is exported untyped).
const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
const socketError = (code: string) => Object.assign(new Error(`read ${code}`), { code, syscall: 'read' });

const failover: [string, Error][] = [
  ['CLUSTERDOWN', reply('CLUSTERDOWN The cluster is down')],
  ['TRYAGAIN', reply('TRYAGAIN Multiple keys request during rehashing of slot')],
  ['MOVED', reply('MOVED 3999 127.0.0.1:7001')],
  ['READONLY', reply("READONLY You can't write against a read only replica.")],
  ['LOADING', reply('LOADING Redis is loading the dataset in memory')],
  ['MASTERDOWN', reply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")],
  ['too many redirections', new Error('Too many Cluster redirections. Last error: Error: Connection is closed.')],
  ['connection closed', new Error('Connection is closed.')],
  ['ECONNRESET', socketError('ECONNRESET')],
  ['ECONNREFUSED', new Error('connect ECONNREFUSED 127.0.0.1:7000')],
  ['no offline queue', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
  ['cluster not ready', new Error("Cluster isn't ready and enableOfflineQueue options is false")],
  ['slots refresh', new Error('Failed to refresh slots cache.')],
  ['blocking command unblocked', reply('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)')],
];

const failures: [string, Error][] = [
  ['a bug', new Error('bug')],
  ['a wrong command', reply("ERR wrong number of arguments for 'hset' command")],
  ['a wrong type', reply('WRONGTYPE Operation against a key holding the wrong kind of value')],
  ['a script error', reply('ERR user_script:1: attempt to compare nil with number')],
  ['CROSSSLOT (a key layout bug, not a failover)', reply("CROSSSLOT Keys in request don't hash to the same slot")],
  ['a word that is not a reply code', new Error('the contact MOVED to another list')],
];

describe('Redis unavailable or failing over', () => {
  it.each(failover)('%s is a deferral that spends no attempt', (_name, err) => {
    expect(isRedisUnavailable(err)).toBe(true);
    expect(classifyError(err)).toEqual({ kind: 'redis-unavailable', delayMs: REDIS_UNAVAILABLE_DELAY_MS });
    expect(isDeferral(err)).toBe(true);
  });

  it.each(failures)('%s is a failure that spends an attempt', (_name, err) => {
    expect(isRedisUnavailable(err)).toBe(false);
    expect(classifyError(err)).toEqual({ kind: 'retry', code: 'UNEXPECTED' });
    expect(isDeferral(err)).toBe(false);
  });

  it("a CXone call's connection error is the CXone client's to classify, not a Redis failover", () => {
    const err = new TransientError('CXone sms.send call failed: connect ECONNREFUSED 127.0.0.1:4010', { code: 'CXONE_NETWORK' });
    expect(classifyError(err)).toEqual({ kind: 'retry', code: 'CXONE_NETWORK' });
    expect(isDeferral(err)).toBe(false);
  });
});
