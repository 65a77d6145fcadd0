// Generated contact lists and suppressions: contact i of a list is a function of its index,
// so a page of a 100k list is computed when asked and tests can name the contacts they expect.
import type { ContactListGen, OutboundConfig } from './outbound-config.ts';

export interface SimContact {
  id: string;
  fields: Record<string, unknown>;
}

export interface SimSuppression {
  id: string;
  phoneNumber: string;
  reason: string;
}

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

/** The ten digits after +1 of contact i: exchange 200-999, line 0000-9999. */
function nationalDigits(gen: ContactListGen, i: number): [string, string, string] {
  const area = pick(gen.areaCodes, i);
  const exchange = String(200 + (Math.floor(i / 10_000) % 800));
  const line = String(i % 10_000).padStart(4, '0');
  return [area, exchange, line];
}

export function contactAt(gen: ContactListGen, i: number): SimContact {
  const [a, e, l] = nationalDigits(gen, i);
  const format = pick(gen.phoneFormats, i);
  const phone = format === 'e164' ? `+1${a}${e}${l}` : format === 'national' ? `(${a}) ${e}-${l}` : format === 'dashed' ? `${a}-${e}-${l}` : `${a}-${e}`;
  const fields: Record<string, unknown> = { phone, region: pick(gen.regions, i), firstName: `Contact${i}` };
  const tz = gen.timeZones ? pick(gen.timeZones, i) : null;
  if (tz) fields.timeZone = tz;
  const zip = gen.zips ? pick(gen.zips, i) : null;
  if (zip) fields.zip = zip;
  return { id: `c-${i}`, fields: { ...fields, ...gen.overrides?.[String(i)] } };
}

/** The E.164 form of contact i's number, as the generator built it. */
export function contactE164(gen: ContactListGen, i: number): string {
  return `+1${nationalDigits(gen, i).join('')}`;
}

/** Suppression n: generated from a list (alternating formats), then the explicit numbers. */
export function suppressionCount(cfg: OutboundConfig): number {
  const from = cfg.suppressions?.fromList;
  const gen = from ? cfg.contactLists?.[from.listId] : undefined;
  const generated = from && gen ? Math.max(0, Math.min(from.count ?? Infinity, Math.ceil((gen.count - from.offset) / from.every))) : 0;
  return generated + (cfg.suppressions?.numbers?.length ?? 0);
}

export function suppressionAt(cfg: OutboundConfig, n: number): SimSuppression {
  const from = cfg.suppressions?.fromList;
  const gen = from ? cfg.contactLists?.[from.listId] : undefined;
  const generated = suppressionCount(cfg) - (cfg.suppressions?.numbers?.length ?? 0);
  if (from && gen && n < generated) {
    const [a, e, l] = nationalDigits(gen, from.offset + n * from.every);
    // Half in national format: the client must normalise before matching (PPS 234-243).
    return { id: `s-${n}`, phoneNumber: n % 2 === 0 ? `+1${a}${e}${l}` : `(${a}) ${e}-${l}`, reason: 'customer_request' };
  }
  const x = cfg.suppressions!.numbers![n - generated]!;
  return { id: `s-${n}`, phoneNumber: x.phoneNumber, reason: x.reason };
}

export interface Page<T> {
  entity: T[];
  nextPageUri?: string;
  total?: number;
}

/**
 * One page (1-based) of `total` items: at most min(limit, cap) of them, and the relative URI
 * of the next page while there is one. The client must follow it, not compute pages.
 */
export function pageOf<T>(total: number, at: (i: number) => T, q: { page: number; limit: number; cap: number | null | undefined; path: string; extra?: string; includeTotal: boolean }): Page<T> {
  const size = Math.min(q.limit, q.cap ?? q.limit);
  const from = (q.page - 1) * size;
  const entity: T[] = [];
  for (let i = from; i < Math.min(total, from + size); i++) entity.push(at(i));
  const more = from + size < total;
  return {
    entity,
    ...(more ? { nextPageUri: `${q.path}?limit=${q.limit}&page=${q.page + 1}${q.extra ?? ''}` } : {}),
    ...(q.includeTotal ? { total } : {}),
  };
}
