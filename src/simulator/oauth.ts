// OAuth 2.0 client credentials as the seeds describe it: form fields or HTTP Basic,
// optional space-separated scope, opaque bearer tokens with an expiry. Tokens stay valid
// across a stats reset so a running fleet's cached token survives between test cases.
import { randomBytes } from 'node:crypto';
import type { ClientConfig } from './config.ts';
import { HttpProblem, headerValue } from './http-io.ts';
import type { SimResponse } from './http-io.ts';

export interface TokenRecord {
  clientId: string;
  accountId: string;
  scopes: ReadonlySet<string>;
  expiresAt: number;
}

export interface TokenStore {
  issue(client: ClientConfig, scopes: readonly string[], lifetimeS: number): string;
  /** The live record, or undefined when unknown, revoked or expired. */
  lookup(token: string): TokenRecord | undefined;
  revokeAll(): void;
  readonly size: number;
}

const PRUNE_AT = 10_000;

export function createTokenStore(now: () => number): TokenStore {
  const tokens = new Map<string, TokenRecord>();
  const prune = (t: number): void => {
    for (const [k, v] of tokens) if (v.expiresAt <= t) tokens.delete(k);
  };
  return {
    issue(client, scopes, lifetimeS) {
      const t = now();
      if (tokens.size >= PRUNE_AT) prune(t);
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, {
        clientId: client.clientId,
        accountId: client.accountId,
        scopes: new Set(scopes),
        expiresAt: t + lifetimeS * 1000,
      });
      return token;
    },
    lookup(token) {
      const rec = tokens.get(token);
      if (!rec) return undefined;
      if (rec.expiresAt <= now()) {
        tokens.delete(token);
        return undefined;
      }
      return rec;
    },
    revokeAll() {
      tokens.clear();
    },
    get size() {
      return tokens.size;
    },
  };
}

interface Credentials {
  clientId: string;
  clientSecret: string;
  viaBasic: boolean;
}

function decodeFormComponent(s: string): string {
  // RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function readCredentials(authorization: string | undefined, form: URLSearchParams): Credentials | undefined {
  if (authorization && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return {
      clientId: decodeFormComponent(decoded.slice(0, colon)),
      clientSecret: decodeFormComponent(decoded.slice(colon + 1)),
      viaBasic: true,
    };
  }
  const clientId = form.get('client_id');
  const clientSecret = form.get('client_secret');
  if (clientId === null || clientSecret === null) return undefined;
  return { clientId, clientSecret, viaBasic: false };
}

function oauthError(status: number, error: string, description: string, headers: Record<string, string> = {}) {
  return new HttpProblem(status, { error, error_description: description }, { 'cache-control': 'no-store', ...headers });
}

export interface TokenRequest {
  authorization: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

/** Pure token endpoint logic: no I/O, so unit tests can drive every branch. */
export function handleTokenRequest(
  req: TokenRequest,
  clients: readonly ClientConfig[],
  store: TokenStore,
  lifetimeS: number,
): SimResponse {
  try {
    const ct = req.contentType?.split(';')[0]?.trim().toLowerCase();
    if (req.body.length > 0 && ct !== 'application/x-www-form-urlencoded') {
      throw oauthError(400, 'invalid_request', 'body must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(req.body.toString('utf8'));
    const grant = form.get('grant_type');
    if (!grant) throw oauthError(400, 'invalid_request', 'grant_type is required');
    if (grant !== 'client_credentials') {
      throw oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
    }
    const creds = readCredentials(req.authorization, form);
    const client = creds && clients.find((c) => c.clientId === creds.clientId);
    if (!creds || !client || client.clientSecret !== creds.clientSecret) {
      throw oauthError(
        401,
        'invalid_client',
        'client authentication failed',
        creds?.viaBasic ? { 'www-authenticate': 'Basic realm="cxone"' } : {},
      );
    }
    const requested = (form.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
    const missing = requested.filter((s) => !client.scopes.includes(s));
    if (missing.length > 0) {
      throw oauthError(400, 'invalid_scope', `scope not granted to this client: ${missing.join(' ')}`);
    }
    const granted = requested.length > 0 ? [...new Set(requested)] : client.scopes;
    const token = store.issue(client, granted, lifetimeS);
    return {
      status: 200,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      body: {
        access_token: token,
        token_type: 'Bearer',
        expires_in: Math.max(1, Math.ceil(lifetimeS)),
        scope: granted.join(' '),
      },
    };
  } catch (err) {
    if (err instanceof HttpProblem) return err.toResponse();
    throw err;
  }
}

const BEARER = /^bearer\s+(\S+)\s*$/i;

/** Resolves the bearer token of an API call or raises the 401 CXone would send. */
export function authenticate(authorization: string | string[] | undefined, store: TokenStore): TokenRecord {
  const header = headerValue(authorization);
  const m = header ? BEARER.exec(header) : null;
  const challenge = { 'www-authenticate': 'Bearer realm="cxone", error="invalid_token"' };
  if (!m?.[1]) throw new HttpProblem(401, { error: 'invalid_token', message: 'missing bearer token' }, challenge);
  const rec = store.lookup(m[1]);
  if (!rec) {
    throw new HttpProblem(401, { error: 'invalid_token', message: 'token unknown, expired or revoked' }, challenge);
  }
  return rec;
}

export function requireScope(rec: TokenRecord, scope: string | null): void {
  if (scope === null || rec.scopes.has(scope)) return;
  throw new HttpProblem(
    403,
    { error: 'insufficient_scope', scope, message: `token lacks scope ${scope}` },
    { 'www-authenticate': `Bearer realm="cxone", error="insufficient_scope", scope="${scope}"` },
  );
}
