// Filter predicates on contact fields (PPS 209-213 generalised, Genesys-style predicates):
// the seed's `fields.region == targetRegion` is `{column: region, operator: EQUALS, value}`.
import { z } from 'zod';

export const FILTER_OPERATORS = ['EQUALS', 'IN', 'BEGINS_WITH', 'CONTAINS', 'EXISTS', 'GREATER_THAN', 'LESS_THAN'] as const;

const scalar = z.union([z.string().max(500), z.number(), z.boolean()]);

export const filterSchema = z
  .object({
    column: z.string().min(1).max(200),
    operator: z.enum(FILTER_OPERATORS),
    value: scalar.optional(),
    values: z.array(scalar).min(1).max(1000).optional(),
    /** Keep contacts that do NOT match. */
    inverted: z.boolean().default(false),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.operator === 'IN' && !f.values) ctx.addIssue({ code: 'custom', path: ['values'], message: 'IN needs values' });
    if (f.operator !== 'IN' && f.operator !== 'EXISTS' && f.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.operator} needs a value` });
    if ((f.operator === 'GREATER_THAN' || f.operator === 'LESS_THAN') && typeof f.value !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.operator} needs a number` });
    }
  });

export type ContactFilter = z.infer<typeof filterSchema>;

function text(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function matches(f: ContactFilter, fields: Record<string, unknown>): boolean {
  const v = fields[f.column];
  switch (f.operator) {
    case 'EXISTS':
      return v !== undefined && v !== null && v !== '';
    case 'EQUALS':
      return text(v) !== undefined && text(v) === text(f.value);
    case 'IN':
      return text(v) !== undefined && (f.values ?? []).some((x) => text(x) === text(v));
    case 'BEGINS_WITH':
      return text(v)?.startsWith(text(f.value) ?? '') ?? false;
    case 'CONTAINS':
      return text(v)?.includes(text(f.value) ?? '') ?? false;
    case 'GREATER_THAN':
      return typeof v === 'number' && v > (f.value as number);
    case 'LESS_THAN':
      return typeof v === 'number' && v < (f.value as number);
  }
}

/** Whether a contact passes the filters: all of them (default) or any. No filters: all pass. */
export function passesFilters(filters: readonly ContactFilter[], fields: Record<string, unknown>, mode: 'all' | 'any' = 'all'): boolean {
  if (filters.length === 0) return true;
  const hit = (f: ContactFilter) => matches(f, fields) !== f.inverted;
  return mode === 'all' ? filters.every(hit) : filters.some(hit);
}
