// The token refresh lock against real Redis: a token request that hangs is cut off while
// its process still holds the lock, so no second process ever asks for a token meanwhile.
import { describe, expect, it } from 'vitest';
import { createTokenCache, tokenKeys, type TokenFetcher } from '../../src/cxone/token-cache.ts';
import { TransientError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { useTestRedis } from '../helpers/redis.ts';

const { redis, prefix } = useTestRedis('toklock');

describe('token refresh lock', () => {
  it('a hanging token request ends before its lock does: never two requests at once', async () => {
    let inFlight = 0;
    let mostAtOnce = 0;
    let calls = 0;
    // A token endpoint that answers only after 2 s, far past the 300 ms lock.
    const hanging: TokenFetcher = (signal) =>
      new Promise((resolve, reject) => {
        calls++;
        inFlight++;
        mostAtOnce = Math.max(mostAtOnce, inFlight);
        const answer = setTimeout(() => {
          inFlight--;
          resolve({ accessToken: `late-${calls}`, expiresInS: 3600 });
        }, 2_000);
        signal?.addEventListener('abort', () => {
          clearTimeout(answer);
          inFlight--;
          reject(new TransientError('token request failed: aborted', { code: 'CXONE_NETWORK' }));
        });
      });
    const logger = createLogger({ level: 'silent' });
    const cache = () => createTokenCache({ redis, prefix, accountId: 'a', fetchToken: hanging, refreshMarginMs: 1_000, lockTtlMs: 300, logger });
    const [a, b] = [cache(), cache()]; // two processes of one account
    try {
      const results = await Promise.allSettled([a.getToken(), b.getToken()]);
      expect(mostAtOnce).toBe(1);
      for (const r of results) expect(r.status).toBe('rejected'); // cut off before the 2 s answer
      expect(calls).toBeGreaterThanOrEqual(2); // each took its turn once the other gave up
      expect(await redis.exists(tokenKeys(prefix, 'a').lock)).toBe(0); // released, not left to expire
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
