// Cross-site request refusal for the control API's state-changing routes. A browser with
// the admin's Basic credentials cached would otherwise let any page POST a form to /api
// (replaying dead letters, resuming a paused channel). Browsers say where a request comes
// from (Sec-Fetch-Site, Origin); a form can send neither a JSON media type nor a custom
// header without a CORS preflight, which this API never grants.
import type { IncomingHttpHeaders } from 'node:http';

/** A header a form cannot send: with it, an empty-bodied state change is not a form post. */
export const REQUESTED_WITH_HEADER = 'x-requested-with';

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json$/;

export function isJsonMediaType(header: string | undefined): boolean {
  return JSON_TYPE.test((header ?? '').split(';')[0]!.trim().toLowerCase());
}

/**
 * Why this request looks cross-site, or undefined when it does not. `allowedOrigins` are
 * origins besides the request's own host (PUBLIC_URL's, when set).
 */
export function crossSiteProblem(headers: IncomingHttpHeaders, allowedOrigins: readonly string[] = []): string | undefined {
  const fetchSite = headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return `Sec-Fetch-Site: ${fetchSite} requests may not change state`;
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    const own = host !== undefined && host === headers.host;
    if (!own && !allowedOrigins.includes(origin)) return `requests from origin ${origin.slice(0, 100)} may not change state`;
  }
  return undefined;
}

/** An empty body must still prove it is not a form: a JSON media type or X-Requested-With. */
export function emptyBodyProblem(headers: IncomingHttpHeaders): string | undefined {
  if (isJsonMediaType(headers['content-type']) || headers[REQUESTED_WITH_HEADER] !== undefined) return undefined;
  return 'a request without a body must send Content-Type: application/json or an X-Requested-With header';
}
