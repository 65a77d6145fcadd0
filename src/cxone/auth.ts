// OAuth 2.0 client credentials, in either client-authentication style the documents use:
// form fields or HTTP Basic. Token requests do not pass the API rate limiter (CXone meters
// them apart) and are never retried here: the token cache's caller decides.
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { ErrorCode, PermanentError, TransientError } from '../errors.ts';
import type { FetchedToken, TokenFetcher } from './token-cache.ts';

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
});

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  authStyle: 'form' | 'basic';
  scope?: string | undefined;
}

export function buildTokenRequest(c: ClientCredentials): { headers: Record<string, string>; body: string } {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (c.scope) form.set('scope', c.scope);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (c.authStyle === 'basic') {
    // RFC 6749 2.3.1: form-urlencode id and secret before base64.
    const pair = `${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.set('client_id', c.clientId);
    form.set('client_secret', c.clientSecret);
  }
  return { headers, body: form.toString() };
}

export function createClientCredentialsFetcher(c: ClientCredentials, dispatcher: Dispatcher): TokenFetcher {
  const url = new URL(c.tokenUrl);
  return async (signal): Promise<FetchedToken> => {
    const { headers, body } = buildTokenRequest(c);
    let res: Dispatcher.ResponseData;
    try {
      res = await dispatcher.request({ origin: url.origin, path: url.pathname + url.search, method: 'POST', headers, body, signal });
    } catch (err) {
      throw new TransientError(`token request failed: ${(err as Error).message}`, { code: ErrorCode.CxoneNetwork, cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode >= 500 || res.statusCode === 429) {
      throw new TransientError(`token endpoint answered ${res.statusCode}`, { code: ErrorCode.CxoneServerError });
    }
    if (res.statusCode >= 400) {
      // The body names the OAuth error (invalid_client, invalid_scope); it holds no secret.
      throw new PermanentError(`token request refused (${res.statusCode}): ${text.slice(0, 200)}`, {
        code: ErrorCode.CxoneUnauthorized,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TransientError('token endpoint answered with non-JSON', { code: ErrorCode.CxoneBadResponse });
    }
    const parsed = tokenResponse.safeParse(json);
    if (!parsed.success) throw new TransientError('token response lacks access_token/expires_in', { code: ErrorCode.CxoneBadResponse });
    return { accessToken: parsed.data.access_token, expiresInS: parsed.data.expires_in };
  };
}
