// CXone campaign launch and pacing calls (seed campaign-launch.txt). Response schemas are
// loose (passthrough): CXone adds fields, and only the ones read here must be right.
import { z } from 'zod';
import { CxoneHttpError, ErrorCode } from '../errors.ts';
import type { CxoneClient } from './http.ts';

const idField = z.union([z.string().min(1), z.number()]).transform(String);

export const contactListSchema = z
  .object({
    id: idField,
    name: z.string().optional(),
    recordCount: z.number().optional(),
    dncCompliant: z.boolean(),
    lastValidated: z.string().optional(),
  })
  .passthrough();

/** `status` is optional here so its absence gets the seed's own message (L-31). */
export const campaignStatusSchema = z
  .object({
    id: idField.optional(),
    status: z.string().min(1).optional(),
    lastError: z.object({ errorCode: z.unknown().optional(), errorMessage: z.unknown().optional() }).passthrough().optional(),
    pacing: z.object({ callsPerMinute: z.number().optional(), maxConcurrent: z.number().optional() }).passthrough().optional(),
  })
  .passthrough();
export type CampaignStatusBody = z.infer<typeof campaignStatusSchema>;

export const realtimeSchema = z
  .object({ answerRate: z.number().min(0).max(1), abandonRate: z.number().min(0).max(1), activeCalls: z.number().min(0), totalCalls: z.number().min(0) })
  .passthrough();
export type RealtimeStats = z.infer<typeof realtimeSchema>;

export const statisticsSchema = z
  .object({ totalCalls: z.number().min(0), answered: z.number().min(0), abandoned: z.number().min(0), avgTalkTime: z.number().min(0), connectRate: z.number().min(0) })
  .passthrough();
export type CampaignStatistics = z.infer<typeof statisticsSchema>;

interface CallOpts {
  signal?: AbortSignal | undefined;
  idempotencyKey?: string | undefined;
}

/** The response body of a CXone refusal, if the error is one. */
export function refusalOf(err: unknown): { status: number; body: Record<string, unknown> } | undefined {
  if (!(err instanceof CxoneHttpError)) return undefined;
  return { status: err.status, body: (err.details?.response as Record<string, unknown> | undefined) ?? {} };
}

/** A server-side message from a refusal body, for error texts. */
export function refusalMessage(body: Record<string, unknown>): string {
  const details = body.details;
  if (Array.isArray(details) && details.length > 0) {
    const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
    return details.map((d: { field?: unknown; message?: unknown }) => `${text(d.field)}: ${text(d.message)}`).join('; ');
  }
  return typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : '';
}

export async function getContactList(client: CxoneClient, id: string, opts: CallOpts = {}) {
  return (await client.request('contactListGet', { params: { id }, signal: opts.signal, schema: contactListSchema })).body;
}

/** Creates the campaign; a 409 on the same name answers with the existing id (`created: false`). */
export async function createCampaign(client: CxoneClient, body: unknown, opts: CallOpts = {}): Promise<{ id: string; created: boolean }> {
  try {
    const res = await client.request('campaignCreate', { body, signal: opts.signal, idempotencyKey: opts.idempotencyKey, schema: z.object({ id: idField }).passthrough() });
    return { id: res.body.id, created: true };
  } catch (err) {
    const r = refusalOf(err);
    if (r?.status === 409 && (typeof r.body.id === 'string' || typeof r.body.id === 'number')) return { id: String(r.body.id), created: false };
    throw err;
  }
}

/** Starts the campaign; `alreadyStarted` when CXone answers 409 (a start was sent before). */
export async function startCampaign(client: CxoneClient, id: string, opts: CallOpts = {}): Promise<{ alreadyStarted: boolean }> {
  try {
    await client.request('campaignStart', { params: { id }, body: {}, signal: opts.signal });
    return { alreadyStarted: false };
  } catch (err) {
    if (err instanceof CxoneHttpError && err.code === ErrorCode.CxoneConflict) return { alreadyStarted: true };
    throw err;
  }
}

export async function getCampaign(client: CxoneClient, id: string, opts: CallOpts = {}): Promise<CampaignStatusBody> {
  return (await client.request('campaignGet', { params: { id }, signal: opts.signal, schema: campaignStatusSchema })).body;
}

export async function updatePacing(client: CxoneClient, id: string, callsPerMinute: number, opts: CallOpts = {}): Promise<number> {
  const res = await client.request('campaignUpdate', { params: { id }, body: { pacing: { callsPerMinute } }, signal: opts.signal, idempotencyKey: opts.idempotencyKey });
  return res.status;
}

export async function getRealtime(client: CxoneClient, id: string, opts: CallOpts = {}): Promise<RealtimeStats> {
  return (await client.request('campaignRealtime', { params: { id }, signal: opts.signal, schema: realtimeSchema })).body;
}

export async function getStatistics(client: CxoneClient, id: string, opts: CallOpts = {}): Promise<CampaignStatistics> {
  return (await client.request('campaignStatistics', { params: { id }, signal: opts.signal, schema: statisticsSchema })).body;
}

export async function stopCampaign(client: CxoneClient, id: string, opts: CallOpts = {}): Promise<void> {
  await client.request('campaignStop', { params: { id }, body: {}, signal: opts.signal });
}
