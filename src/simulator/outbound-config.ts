// Runtime knobs of the outbound module (sim.outbound.configure() or POST /_sim/outbound/config).
// Sub-keys merge, so a test can seed campaigns and script a fault in separate calls. Contact
// lists and suppressions are generator specs: 100k contacts are computed per page, not stored.
import { z } from 'zod';

export const OUTBOUND_ROUTES = ['campaignList', 'campaignGet', 'campaignUpdate', 'contacts', 'suppressions', 'webhookCreate'] as const;
export type OutboundRoute = (typeof OUTBOUND_ROUTES)[number];

export const PHONE_FORMATS = ['e164', 'national', 'dashed', 'invalid'] as const;

const count = z.number().int().min(0).max(10_000_000);

export const contactListGenSchema = z
  .object({
    count,
    /** Region of contact i: regions[i % length]. */
    regions: z.array(z.string().min(1)).min(1).default(['NA-EAST', 'NA-WEST', 'EU-CENTRAL']),
    /** Phone format of contact i: phoneFormats[i % length]. */
    phoneFormats: z.array(z.enum(PHONE_FORMATS)).min(1).default(['e164']),
    /** Area code of contact i: areaCodes[i % length]. */
    areaCodes: z.array(z.string().regex(/^[2-9]\d{2}$/)).min(1).default(['212', '415', '312']),
    /** When set, contact i carries timeZones[i % length] (null = no field). */
    timeZones: z.array(z.string().nullable()).min(1).optional(),
    zips: z.array(z.string().nullable()).min(1).optional(),
    /** Fields of particular contacts by index, over the generated ones. */
    overrides: z.record(z.string().regex(/^\d+$/), z.record(z.string(), z.unknown())).optional(),
  })
  .strict();
export type ContactListGen = z.output<typeof contactListGenSchema>;

export const campaignSeedSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1).optional(),
    type: z.enum(['preview', 'progressive', 'predictive', 'agentless']).default('preview'),
    status: z.enum(['active', 'inactive']).default('inactive'),
    fields: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const outboundConfigSchema = z
  .object({
    queues: z.array(z.string().min(1)).min(1).optional(),
    /** Upserted by id on configure. */
    campaigns: z.array(campaignSeedSchema).optional(),
    /** Contact list id (UUID) → generator. */
    contactLists: z.record(z.string(), contactListGenSchema).optional(),
    suppressions: z
      .object({
        /** Every `every`-th contact of list `listId` (from `offset`), written alternately E.164 and national. */
        fromList: z.object({ listId: z.string(), every: z.number().int().min(1), offset: z.number().int().min(0).default(0), count: count.optional() }).strict().optional(),
        numbers: z.array(z.object({ phoneNumber: z.string().min(1), reason: z.string().default('customer_request') }).strict()).optional(),
      })
      .strict()
      .optional(),
    pageSizeCap: z.number().int().min(1).max(10_000).nullable().optional(),
    maxLimit: z.number().int().min(1).max(10_000).optional(),
    includeTotal: z.boolean().optional(),
    /** false: no ETag, If-Match ignored (the real-CXone profile). */
    etags: z.boolean().optional(),
    /** PUT without If-Match answers 428 (default on). */
    requireIfMatch: z.boolean().optional(),
    /** The version moves just before each of the next n PUTs: exactly n 412s. */
    conflictOnNextPut: count.optional(),
    /** Another writer sets these fields (and moves the version) just before the next PUT. */
    touchBeforeNextPut: z.record(z.string(), z.unknown()).optional(),
    /**
     * The next request for this contact page is answered only once released (control.release()
     * or POST /_sim/preview/release): a test acts while a worker is known to wait on it.
     */
    holdContactPage: z.number().int().min(1).optional(),
    /** Exactly `times` answers of `status` on a route (optionally one contact page), in order. */
    scripted: z
      .array(
        z
          .object({
            route: z.enum(OUTBOUND_ROUTES),
            status: z.number().int().min(400).max(599),
            times: z.number().int().min(1).max(1000).default(1),
            page: z.number().int().min(1).optional(),
            retryAfterS: z.number().int().min(0).max(3600).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export type OutboundConfig = z.output<typeof outboundConfigSchema>;

export const OUTBOUND_DEFAULTS = { queues: ['q-outbound'], maxLimit: 1000, includeTotal: false, etags: true, requireIfMatch: true } as const;
