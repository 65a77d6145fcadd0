// The preview spec (YAML or JSON): which campaign to activate with which contact list and
// queue, who to keep (filters), how to scrub (phone column), the tier limit, the calling
// window, payload overrides, the webhook and the deadline. Pure: text in, a checked spec
// and the exact payload out, or every problem with its path.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { zodIssuesToFields, type FieldIssue } from '../../errors.ts';
import { parseText, type SpecFormat } from '../email/spec.ts';
import { callingWindowSchema } from './calling-window.ts';
import { filterSchema } from './filters.ts';
import { buildPreviewConfig, payloadOverridesSchema, previewConfigSchema, type PreviewConfig } from './payload.ts';

export const previewSpecSchema = z
  .object({
    /** The existing outbound campaign to activate (PPS 373). */
    campaignId: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, '1-128 letters, digits, _ . or -'),
    /** Checked as a UUID in the payload (contactLists.0.id), as CXone would. */
    contactListId: z.string().min(1).max(200),
    queueId: z.string().min(1).max(200),
    filters: z.array(filterSchema).max(50).default([]),
    filterMatch: z.enum(['all', 'any']).default('all'),
    /** The contact field holding the number that suppressions and the DNC list match on. */
    phoneColumn: z.string().min(1).max(200).default('phone'),
    /** Region of numbers written without a country code. */
    defaultRegion: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 region such as US').default('US'),
    constraints: z.object({ maxConcurrentPreviews: z.number().int().min(1).max(10_000).optional() }).strict().default({}),
    callingWindow: callingWindowSchema.default({ profile: 'off' } as never),
    payload: payloadOverridesSchema.default({}),
    webhook: z
      .object({
        enabled: z.boolean().default(true),
        name: z.string().min(1).max(200).default('Preview QA Sync'),
        /** Default: PUBLIC_URL + /webhooks/campaigns/events. */
        uri: z.string().url('an http(s) URL').optional(),
      })
      .strict()
      .default({ enabled: true, name: 'Preview QA Sync' }),
    deadlineMs: z.number().int().min(1_000).max(3_600_000).optional(),
  })
  .strict();

export type PreviewSpec = z.infer<typeof previewSpecSchema>;
export type PreviewSpecInput = z.input<typeof previewSpecSchema>;

export interface CheckedSpec {
  spec: PreviewSpec;
  payload: PreviewConfig;
  /** 16 hex of sha256 over the canonical spec: same spec, same key. */
  specKey: string;
}

export type SpecResult = { ok: true; value: CheckedSpec } | { ok: false; errors: FieldIssue[] };

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)]));
  return v;
}

/** A parsed object → the checked spec and its payload (defaults + overrides, validated). */
export function checkPreviewSpec(data: unknown): SpecResult {
  const parsed = previewSpecSchema.safeParse(data);
  // The payload is checked even when the spec is not, so one run names every problem.
  const raw = (parsed.success ? parsed.data : data) as Partial<Record<string, unknown>> | null;
  const overrides = payloadOverridesSchema.safeParse(raw?.payload ?? {});
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const payload = previewConfigSchema.safeParse(buildPreviewConfig(str(raw?.contactListId), str(raw?.queueId), overrides.success ? overrides.data : {}));
  const errors = [...(parsed.success ? [] : zodIssuesToFields(parsed.error.issues)), ...(payload.success ? [] : zodIssuesToFields(payload.error.issues))];
  if (!parsed.success || !payload.success) return { ok: false, errors: dedupe(errors) };
  const spec = parsed.data;
  const specKey = createHash('sha256').update(JSON.stringify(canonical(spec))).digest('hex').slice(0, 16);
  return { ok: true, value: { spec, payload: payload.data, specKey } };
}

function dedupe(errors: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(`${e.path}\u0000${e.message}`) && !!seen.add(`${e.path}\u0000${e.message}`));
}

/** Spec text (YAML or JSON) → the checked spec, or every problem with its path. */
export function parsePreviewSpec(text: string, format: SpecFormat = 'auto'): SpecResult {
  if (text.trim() === '') return { ok: false, errors: [{ path: '', message: 'the spec is empty' }] };
  const raw = parseText(text, format);
  if (!raw.ok) return { ok: false, errors: raw.errors };
  return checkPreviewSpec(raw.data);
}
