// The PreviewConfig CXone is sent (PPS 127-152), its defaults (PPS 153-171) and the outgoing
// schema that checks it before any call: exact field names, strict, the seed's 400 causes
// (PPS 406-409: type preview, contact lists as UUIDs, a queue per directive) checked locally.
import { z } from 'zod';

export const PREVIEW_DIALING_MODES = ['manual', 'timed'] as const;

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i, 'must be a UUID');

export const previewConfigSchema = z
  .object({
    name: z.string().min(1).max(200),
    type: z.literal('preview', 'must be "preview"'),
    contactLists: z.array(z.object({ id: uuid, type: z.literal('contactlist', 'must be "contactlist"') }).strict()).min(1).max(20),
    dialingRules: z
      .object({ strategy: z.literal('preview', 'must be "preview"'), maxAttempts: z.number().int().min(1).max(10), callbackEnabled: z.boolean() })
      .strict(),
    agentDirectives: z
      .array(z.object({ queueId: z.string().min(1).max(200), skillRequirement: z.string().min(1).max(200), agentCount: z.number().int().min(1).max(10_000) }).strict())
      .min(1)
      .max(20),
    previewSettings: z.object({ previewDialingMode: z.enum(PREVIEW_DIALING_MODES), agentPromptEnabled: z.boolean() }).strict(),
  })
  .strict();

export type PreviewConfig = z.infer<typeof previewConfigSchema>;

/** What a spec may override; type and contact lists come from the spec's own fields. */
export const payloadOverridesSchema = z
  .object({
    name: z.string().optional(),
    dialingRules: z.object({ strategy: z.string().optional(), maxAttempts: z.number().optional(), callbackEnabled: z.boolean().optional() }).strict().optional(),
    agentDirective: z.object({ skillRequirement: z.string().optional(), agentCount: z.number().optional() }).strict().optional(),
    previewSettings: z.object({ previewDialingMode: z.string().optional(), agentPromptEnabled: z.boolean().optional() }).strict().optional(),
  })
  .strict();
export type PayloadOverrides = z.infer<typeof payloadOverridesSchema>;

/** The seed's BuildPreviewPayload, field for field (P-27). */
export function defaultPreviewConfig(contactListId: string, queueId: string): PreviewConfig {
  return {
    name: 'Automated Preview Campaign',
    type: 'preview',
    contactLists: [{ id: contactListId, type: 'contactlist' }],
    dialingRules: { strategy: 'preview', maxAttempts: 1, callbackEnabled: false },
    agentDirectives: [{ queueId, skillRequirement: 'outbound_preview', agentCount: 5 }],
    previewSettings: { previewDialingMode: 'manual', agentPromptEnabled: true },
  };
}

/** Defaults + overrides; unchecked (the caller validates with previewConfigSchema). */
export function buildPreviewConfig(contactListId: string, queueId: string, o: PayloadOverrides = {}): unknown {
  const d = defaultPreviewConfig(contactListId, queueId);
  return {
    ...d,
    name: o.name ?? d.name,
    dialingRules: { ...d.dialingRules, ...o.dialingRules },
    agentDirectives: [{ ...d.agentDirectives[0], ...o.agentDirective }],
    previewSettings: { ...d.previewSettings, ...o.previewSettings },
  };
}

/** Leaf paths of a JSON value ("agentDirectives.0.queueId" → value). */
export function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, p: string) => {
    if (v !== null && typeof v === 'object') {
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) out.set(p, v);
      for (const [k, x] of entries) walk(x, p ? `${p}.${k}` : k);
    } else out.set(p, v);
  };
  walk(value, prefix);
  return out;
}

/**
 * The fields this spec sets that another writer changed since our last read: changed between
 * `base` and `fresh`, and not already to what we want. Empty = safe to write.
 */
export function conflictingFields(desired: PreviewConfig, base: unknown, fresh: unknown): string[] {
  const b = leaves(base);
  const f = leaves(fresh);
  const out: string[] = [];
  for (const [path, want] of leaves(desired)) {
    const before = b.get(path);
    const now = f.get(path);
    if (!Object.is(before, now) && !Object.is(now, want)) out.push(path);
  }
  return out;
}

/** Whether the campaign already holds every field of our config, as we would write it. */
export function holdsAll(desired: PreviewConfig, campaign: unknown): boolean {
  const have = leaves(campaign);
  return [...leaves(desired)].every(([path, want]) => Object.is(have.get(path), want));
}

/** Server-managed fields never sent back on a PUT. */
const SERVER_FIELDS = new Set(['id', 'version', 'status', 'etag', 'createdAt', 'updatedAt']);

/** Our config over the campaign as last read: fields we do not set survive the PUT. */
export function mergedBody(fresh: Record<string, unknown>, desired: PreviewConfig): Record<string, unknown> {
  const carried = Object.fromEntries(Object.entries(fresh).filter(([k]) => !SERVER_FIELDS.has(k) && !(k in desired)));
  return { ...carried, ...desired };
}
