// Authentication of the dashboard and the control API: HTTP Basic (ADMIN_USER/ADMIN_PASSWORD)
// or a bearer token (ADMIN_TOKEN), compared in constant time. There is no default password:
// with nothing configured, adminAuth() returns null and the admin surface is not mounted.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from '../config.ts';
import { ErrorCode } from '../errors.ts';
import { sendError } from './http-error.ts';

type AdminSettings = Config['ingress']['admin'];

/** Hashing first makes both sides the same length, so the comparison leaks no length. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `Authorization: Bearer <token>` carries exactly `token` (constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^bearer\s+(.+)$/i.exec(header ?? '');
  return m !== null && sameSecret(m[1]!.trim(), token);
}

export function adminAuthConfigured(admin: AdminSettings): boolean {
  return Boolean((admin.user && admin.password) || admin.token);
}

export function checkAdminAuthorization(header: string | undefined, admin: AdminSettings): boolean {
  if (!header) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && admin.token) return sameSecret(value, admin.token);
  if (scheme === 'basic' && admin.user && admin.password) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both halves are always compared, so a wrong user costs the same as a wrong password.
    const userOk = sameSecret(decoded.slice(0, colon), admin.user);
    const passOk = sameSecret(decoded.slice(colon + 1), admin.password);
    return userOk && passOk;
  }
  return false;
}

/** What the admin paths answer when no admin credentials are configured: off, and how to turn it on. */
export const adminDisabled: RequestHandler = (_req, res) => {
  sendError(
    res,
    ErrorCode.AdminDisabled,
    'the admin surface (dashboard and control API) is disabled: no admin credentials are configured. Enable it by setting ADMIN_USER and ADMIN_PASSWORD, or ADMIN_TOKEN, and restarting the ingress',
  );
};

export function adminAuth(admin: AdminSettings): RequestHandler | null {
  if (!adminAuthConfigured(admin)) return null;
  const challenges: string[] = [];
  if (admin.user && admin.password) challenges.push('Basic realm="cxone-fleet", charset="UTF-8"');
  if (admin.token) challenges.push('Bearer realm="cxone-fleet"');
  return (req, res, next) => {
    if (checkAdminAuthorization(req.headers.authorization, admin)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', challenges);
    sendError(res, ErrorCode.Unauthorized, 'authentication required');
  };
}
