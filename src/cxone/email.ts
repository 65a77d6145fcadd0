// CXone email channels: create (409 on a duplicate name carries the existing id), state,
// routing rules, delivery analytics and the audit log. Response schemas are loose on
// purpose (passthrough): CXone adds fields, and only the ones read here must be right.
import { z } from 'zod';
import { CxoneHttpError, ErrorCode } from '../errors.ts';
import type { CxoneClient } from './http.ts';

const idBody = z.object({ id: z.union([z.string().min(1), z.number()]).transform(String) }).passthrough();

export const emailChannelSchema = z
  .object({
    id: z.union([z.string().min(1), z.number()]).transform(String),
    name: z.string().optional(),
    state: z.string().min(1),
    lastError: z.unknown().optional(),
  })
  .passthrough();
export type EmailChannel = z.infer<typeof emailChannelSchema>;

const listOf = <S extends z.ZodType>(item: S) =>
  z.union([
    z.array(item),
    z.object({ data: z.array(item) }).passthrough().transform((b) => b.data),
    z.object({ entity: z.array(item) }).passthrough().transform((b) => b.entity),
    z.object({ items: z.array(item) }).passthrough().transform((b) => b.items),
  ]);

const namedItem = z.object({ id: z.union([z.string().min(1), z.number()]).transform(String), name: z.string().optional() }).passthrough();

/** What CXone is sent. Holds the SMTP password and DKIM PEM: never log or store it. */
export interface EmailChannelCreateBody {
  name: string;
  channelType: 'EMAIL';
  fromAddress: string;
  replyToAddress: string;
  smtpConfig: { host: string; port: number; username: string; password: string; useTLS: boolean };
  dkimConfig: { selector: string; privateKey: string; domain: string };
  enabled: boolean;
}

export interface EmailRuleBody {
  name: string;
  enabled: boolean;
  priority: number;
  conditions: { field: 'from_domain'; operator: string; value: string }[];
  action: { type: 'route_to_queue'; target: string };
}

interface CallOpts {
  signal?: AbortSignal;
  idempotencyKey?: string;
}

/** The id CXone put in a 409 body, if any. */
function conflictId(err: unknown): string | undefined {
  if (!(err instanceof CxoneHttpError) || err.code !== ErrorCode.CxoneConflict) return undefined;
  const response = err.details?.response as Record<string, unknown> | undefined;
  const id = response?.id ?? (response?.existing as Record<string, unknown> | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}

export async function listEmailChannels(client: CxoneClient, opts: CallOpts = {}): Promise<{ id: string; name?: string | undefined }[]> {
  const res = await client.request('emailChannelList', { signal: opts.signal, schema: listOf(namedItem) });
  return res.body;
}

/**
 * Creates the channel, or finds the one of the same name: a 409 answers with its id, and
 * when it does not, the list is searched by name. `created` says which.
 */
export async function createEmailChannel(
  client: CxoneClient,
  body: EmailChannelCreateBody,
  opts: CallOpts = {},
): Promise<{ id: string; created: boolean }> {
  try {
    const res = await client.request('emailChannelCreate', { body, signal: opts.signal, idempotencyKey: opts.idempotencyKey, schema: idBody });
    return { id: res.body.id, created: true };
  } catch (err) {
    const existing = conflictId(err);
    if (existing === undefined) throw err;
    if (existing) return { id: existing, created: false };
    const found = (await listEmailChannels(client, opts)).find((c) => c.name === body.name);
    if (!found) throw err;
    return { id: found.id, created: false };
  }
}

export async function getEmailChannel(client: CxoneClient, id: string, opts: CallOpts = {}): Promise<EmailChannel> {
  const res = await client.request('emailChannelGet', { params: { id }, signal: opts.signal, schema: emailChannelSchema });
  return res.body;
}

export async function listEmailRules(client: CxoneClient, channelId: string, opts: CallOpts = {}) {
  const res = await client.request('emailRuleList', { params: { id: channelId }, signal: opts.signal, schema: listOf(namedItem) });
  return res.body;
}

/** Creates a rule, or finds the one of the same name on a 409. */
export async function createEmailRule(
  client: CxoneClient,
  channelId: string,
  rule: EmailRuleBody,
  opts: CallOpts = {},
): Promise<{ id: string; created: boolean }> {
  try {
    const res = await client.request('emailRuleCreate', {
      params: { id: channelId },
      body: rule,
      signal: opts.signal,
      idempotencyKey: opts.idempotencyKey,
      schema: idBody,
    });
    return { id: res.body.id, created: true };
  } catch (err) {
    const existing = conflictId(err);
    if (existing === undefined) throw err;
    if (existing) return { id: existing, created: false };
    const found = (await listEmailRules(client, channelId, opts)).find((r) => r.name === rule.name);
    if (!found) throw err;
    return { id: found.id, created: false };
  }
}

export const EMAIL_METRIC_NAMES = ['sent', 'delivered', 'bounced', 'complaints'] as const;

const pageBody = z
  .object({
    data: z.array(z.record(z.string(), z.unknown())),
    totalPages: z.number().int().optional(),
    totalRecords: z.number().int().optional(),
    nextPage: z.union([z.number(), z.string(), z.null()]).optional(),
  })
  .passthrough();
export type DataPage = z.infer<typeof pageBody>;

export async function fetchEmailAnalyticsPage(
  client: CxoneClient,
  channelId: string,
  page: { pageSize: number; pageNumber: number },
  opts: CallOpts = {},
): Promise<DataPage> {
  const res = await client.request('emailAnalytics', {
    query: { channelId },
    body: { type: 'summary', dateRange: 'last30Days', metrics: [...EMAIL_METRIC_NAMES], pageSize: page.pageSize, pageNumber: page.pageNumber },
    signal: opts.signal,
    schema: pageBody,
  });
  return res.body;
}

export async function fetchAuditLogPage(
  client: CxoneClient,
  q: { entityId: string; startDate: string; endDate: string; pageSize: number; page: number },
  opts: CallOpts = {},
): Promise<DataPage> {
  const res = await client.request('auditLogs', {
    query: { entityId: q.entityId, entityType: 'EMAIL_CHANNEL', startDate: q.startDate, endDate: q.endDate, pageSize: q.pageSize, page: q.page },
    signal: opts.signal,
    schema: pageBody,
  });
  return res.body;
}

/** A page is the last when it is short, or the server says so. */
export function isLastPage(page: DataPage, pageNumber: number, pageSize: number): boolean {
  if (page.data.length === 0 || page.data.length < pageSize) return true;
  if (page.totalPages !== undefined) return pageNumber >= page.totalPages;
  if (page.nextPage === null) return true;
  return false;
}
