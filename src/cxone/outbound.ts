// CXone outbound preview calls (the seed's REST v2 paths): campaign list/get/PUT with
// If-Match, contact and suppression pages that follow nextPageUri, webhook registration.
// Response schemas are loose (passthrough): only the fields read here must be right.
import { z } from 'zod';
import { CxoneHttpError, ErrorCode } from '../errors.ts';
import type { CxoneClient } from './http.ts';
import type { EndpointName } from './endpoints.ts';

interface CallOpts {
  signal?: AbortSignal;
}

const idOf = z.union([z.string().min(1), z.number()]).transform(String);

const buildPageBody = <S extends z.ZodType>(item: S) =>
  z.object({ entity: z.array(item), nextPageUri: z.string().nullish(), total: z.number().optional() }).passthrough();

// One page schema per item schema, built once: building one costs about as much as checking
// a page with it, and zod compiles its fast path per schema object on first use.
const pageBodies = new WeakMap<z.ZodType, z.ZodType>();
function pageBody<S extends z.ZodType>(item: S): ReturnType<typeof buildPageBody<S>> {
  let body = pageBodies.get(item);
  if (!body) pageBodies.set(item, (body = buildPageBody(item)));
  return body as ReturnType<typeof buildPageBody<S>>;
}

export interface Page<T> {
  items: T[];
  /** Query of the next page (from nextPageUri), or undefined on the last page. */
  next: string | undefined;
}

/** The query string of a nextPageUri; an empty or missing one ends the list (PPS 214-217). */
export function nextQuery(uri: string | null | undefined): string | undefined {
  if (!uri) return undefined;
  const q = uri.indexOf('?');
  return q < 0 ? undefined : uri.slice(q + 1);
}

async function page<S extends z.ZodType>(
  client: CxoneClient,
  endpoint: EndpointName,
  item: S,
  q: { params?: Record<string, string>; query: string },
  opts: CallOpts,
): Promise<Page<z.infer<S>>> {
  const query = Object.fromEntries(new URLSearchParams(q.query));
  const res = await client.request(endpoint, { params: q.params, query, signal: opts.signal, schema: pageBody(item) });
  const items = res.body.entity as z.infer<S>[];
  // An empty page ends the list whatever nextPageUri says; a short one does not (CXone caps page sizes).
  return { items, next: items.length === 0 ? undefined : nextQuery(res.body.nextPageUri) };
}

/**
 * Pages in order from `first`. A fetcher follows `nextPageUri` on its own, up to `depth`
 * pages ahead of the caller, so the chain of requests runs at the pace of the rate limit
 * while the caller works: one slow page (GC, a busy core) is absorbed by the pages already
 * read instead of stalling the chain, which, once stalled, never gets the lost time back
 * (CXone allows no burst to catch up). A fetch failure surfaces when the caller reaches
 * it, after every page read before it; a caller that stops early stops the fetcher.
 */
export async function* readAhead<T>(first: string, fetchPage: (query: string) => Promise<Page<T>>, depth = 8): AsyncGenerator<{ page: Page<T>; query: string }> {
  const ready: { page: Page<T>; query: string }[] = [];
  let failure: { err: unknown } | undefined;
  let finished = false;
  let stopped = false;
  let wakeReader: (() => void) | undefined;
  let wakeFetcher: (() => void) | undefined;
  const signalReader = () => {
    wakeReader?.();
    wakeReader = undefined;
  };
  const fetcher = async () => {
    let query: string | undefined = first;
    try {
      while (query !== undefined && !stopped) {
        if (ready.length >= depth) {
          await new Promise<void>((resolve) => (wakeFetcher = resolve));
          continue;
        }
        const page = await fetchPage(query);
        ready.push({ page, query });
        query = page.next;
        signalReader();
      }
    } catch (err) {
      failure = { err };
    }
    finished = true;
    signalReader();
  };
  void fetcher();
  try {
    for (;;) {
      const item = ready.shift();
      if (item) {
        wakeFetcher?.();
        wakeFetcher = undefined;
        yield item;
      } else if (failure) throw failure.err;
      else if (finished) return;
      else await new Promise<void>((resolve) => (wakeReader = resolve));
    }
  } finally {
    stopped = true;
    wakeFetcher?.();
  }
}

const campaignRef = z.object({ id: idOf, status: z.string().optional(), type: z.string().optional() }).passthrough();

/** Every active preview campaign's id, over all pages (the seed read one page of 1000). */
export async function listActivePreviews(client: CxoneClient, opts: CallOpts = {}): Promise<string[]> {
  const ids: string[] = [];
  let query: string | undefined = 'limit=1000&page=1&type=preview&status=active';
  for (let n = 0; query && n < 10_000; n++) {
    const p: Page<z.infer<typeof campaignRef>> = await page(client, 'outboundCampaignList', campaignRef, { query }, opts);
    ids.push(...p.items.map((c) => c.id));
    query = p.next;
  }
  return ids;
}

export const contactSchema = z.object({ id: idOf, fields: z.record(z.string(), z.unknown()).default({}) }).passthrough();
export type CxoneContact = z.infer<typeof contactSchema>;

export function fetchContactPage(client: CxoneClient, listId: string, query: string, opts: CallOpts = {}): Promise<Page<CxoneContact>> {
  return page(client, 'outboundContacts', contactSchema, { params: { id: listId }, query }, opts);
}

const suppressionSchema = z.object({ id: idOf.optional(), phoneNumber: z.string(), reason: z.string().optional() }).passthrough();

export function fetchSuppressionPage(client: CxoneClient, query: string, opts: CallOpts = {}): Promise<Page<z.infer<typeof suppressionSchema>>> {
  return page(client, 'outboundSuppressions', suppressionSchema, { query }, opts);
}

const campaignSchema = z.object({ id: idOf, version: z.number().int(), status: z.string().optional() }).passthrough();

export interface CampaignRead {
  campaign: Record<string, unknown> & { id: string; version: number };
  /** What If-Match carries: the ETag as sent, or the version's when CXone sends none. */
  etag: string;
}

export async function getCampaign(client: CxoneClient, id: string, opts: CallOpts = {}): Promise<CampaignRead> {
  const res = await client.request('outboundCampaignGet', { params: { id }, signal: opts.signal, schema: campaignSchema });
  const header = res.headers.etag;
  const etag = (Array.isArray(header) ? header[0] : header) ?? `"version:${res.body.version}"`;
  return { campaign: res.body, etag };
}

const putAnswer = z.object({ version: z.number().int(), status: z.string() }).passthrough();

export async function putCampaign(
  client: CxoneClient,
  id: string,
  body: Record<string, unknown>,
  opts: CallOpts & { ifMatch: string; idempotencyKey: string },
): Promise<{ version: number; status: string }> {
  const res = await client.request('outboundCampaignUpdate', { params: { id }, body, ifMatch: opts.ifMatch, idempotencyKey: opts.idempotencyKey, signal: opts.signal, schema: putAnswer });
  return res.body;
}

/** Registers the webhook, or finds it by the 409 a taken name answers (a re-run). */
export async function registerWebhook(
  client: CxoneClient,
  body: { name: string; enabled: boolean; eventFilter: string; uri: string; method: 'POST' },
  opts: CallOpts = {},
): Promise<{ id: string; created: boolean }> {
  try {
    const res = await client.request('webhookCreate', { body, signal: opts.signal, schema: z.object({ id: idOf }).passthrough() });
    return { id: res.body.id, created: true };
  } catch (err) {
    if (!(err instanceof CxoneHttpError) || err.code !== ErrorCode.CxoneConflict) throw err;
    const response = err.details?.response as Record<string, unknown> | undefined;
    const id = response?.id;
    return { id: typeof id === 'string' || typeof id === 'number' ? String(id) : '', created: false };
  }
}
