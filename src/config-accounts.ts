// Several CXone accounts, each a configuration of its own (docs/adr/0006-accounts.md). The
// accounts file (CXONE_ACCOUNTS_FILE, YAML or JSON) lists each account's endpoint,
// credentials by reference, endpoint map, budgets and Redis prefix; a process serves the
// account CXONE_ACCOUNT (or the CLI's --account) names, or the only one, and a worker
// process may serve several (loadAccountConfigs, `worker --accounts`). The chosen entry becomes
// the same environment variables a single-account fleet sets by hand, so it goes through
// the one schema in config.ts and every account gets the same validation.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_ENDPOINTS, overrideSchema } from './cxone/endpoints.ts';
import { keySlot } from './redis-slot.ts';

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

const accountSchema = z
  .object({
    /** Hash-tagged, so each account's keys share a slot of their own; default {cxf-<id>}. */
    prefix: z.string().regex(/^\{[A-Za-z0-9_.-]+\}$/, 'a hash-tagged prefix such as {cxf-acme}').optional(),
    baseUrl: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }),
    tokenUrl: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
    clientId: z.string().min(1),
    // The secret itself never sits in this file: the name of a variable or of a file that holds it.
    clientSecretEnv: z.string().regex(ENV_NAME, 'the name of an environment variable, e.g. CXONE_SECRET_ACME').optional(),
    clientSecretFile: z.string().min(1).optional(),
    authStyle: z.enum(['form', 'basic']).optional(),
    scope: z.string().min(1).optional(),
    endpoints: overrideSchema
      .superRefine((map, ctx) => {
        for (const name of Object.keys(map)) {
          if (!(name in DEFAULT_ENDPOINTS)) ctx.addIssue({ code: 'custom', path: [name], message: 'unknown endpoint name' });
        }
      })
      .optional(),
    rateLimit: z
      .object({
        rps: z.number().min(0.1).max(100_000).optional(),
        perMin: z.number().int().min(1).optional(),
        perHour: z.number().int().min(1).optional(),
        burst: z.number().int().min(1).max(10_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((a) => (a.clientSecretEnv === undefined) !== (a.clientSecretFile === undefined), {
    message: 'set exactly one of clientSecretEnv and clientSecretFile',
    path: ['clientSecretEnv'],
  });

export type AccountEntry = z.infer<typeof accountSchema>;

const accountsFileSchema = z
  .object({
    accounts: z
      .record(z.string().regex(ACCOUNT_ID, 'account ids are letters, digits, _ or - (at most 64)'), accountSchema)
      .refine((a) => Object.keys(a).length > 0, 'list at least one account'),
  })
  .strict();

export interface AccountsFile {
  path: string;
  accounts: Record<string, AccountEntry>;
}

/** `{cxf-<id>}` unless the entry names its own (e.g. `{cxf}` to keep a single fleet's keys). */
export const accountPrefix = (id: string, entry: Pick<AccountEntry, 'prefix'>): string => entry.prefix ?? `{cxf-${id}}`;

/** Reads and checks the file; every problem is one line `<file>: <path>: <reason>`. */
export function readAccountsFile(path: string): { ok: true; file: AccountsFile } | { ok: false; lines: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, lines: [`CXONE_ACCOUNTS_FILE (${path}): cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
  }
  let raw: unknown;
  try {
    raw = parseYaml(text); // YAML is a superset of JSON: one parser for both.
  } catch (err) {
    return { ok: false, lines: [`${path}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`] };
  }
  const parsed = accountsFileSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, lines: parsed.error.issues.map((i) => `${path}: ${i.path.map(String).join('.') || '(root)'}: ${i.message}`) };
  }
  const lines = sharedPlacement(parsed.data.accounts).map((l) => `${path}: ${l}`);
  return lines.length > 0 ? { ok: false, lines } : { ok: true, file: { path, accounts: parsed.data.accounts } };
}

/**
 * Two accounts on one prefix would share queues, tokens and budgets; two on one slot would
 * share a cluster shard for no reason. Either is refused, naming the prefix to change.
 */
function sharedPlacement(accounts: Record<string, AccountEntry>): string[] {
  const bySlot = new Map<number, string>();
  const lines: string[] = [];
  for (const [id, entry] of Object.entries(accounts)) {
    const prefix = accountPrefix(id, entry);
    const slot = keySlot(prefix);
    const other = bySlot.get(slot);
    if (other !== undefined) {
      const why = accountPrefix(other, accounts[other] ?? {}) === prefix ? `the same prefix ${prefix}` : `cluster slot ${slot}`;
      lines.push(`accounts.${id}.prefix: shares ${why} with account ${other}; set a prefix of its own`);
    } else bySlot.set(slot, id);
  }
  return lines;
}

/** The account a process serves: the one named, or the only one. */
export function chooseAccount(file: AccountsFile, name: string | undefined): { ok: true; id: string; entry: AccountEntry } | { ok: false; line: string } {
  const ids = Object.keys(file.accounts);
  const id = name ?? (ids.length === 1 ? ids[0] : undefined);
  if (id === undefined) return { ok: false, line: `CXONE_ACCOUNT: ${file.path} lists ${ids.length} accounts (${ids.join(', ')}); name one with CXONE_ACCOUNT or --account` };
  const entry = file.accounts[id];
  if (!entry) return { ok: false, line: `CXONE_ACCOUNT (got "${id}"): not in ${file.path}; it lists ${ids.join(', ')}` };
  return { ok: true, id, entry };
}

/**
 * The entry as the variables of a single-account fleet. The secret is read here, from the
 * variable or file it names (relative to the accounts file); `env` holds the variables.
 */
export function accountEnvironment(
  file: AccountsFile,
  id: string,
  entry: AccountEntry,
  env: Record<string, string | undefined>,
  secretPrefixes: readonly string[],
): { ok: true; env: Record<string, string> } | { ok: false; line: string } {
  const at = `${file.path}: accounts.${id}`;
  let secret: string | undefined;
  if (entry.clientSecretEnv !== undefined) {
    // As for an email spec's passwordEnv: a reference cannot make the fleet send REDIS_URL as a password.
    if (!secretPrefixes.some((p) => entry.clientSecretEnv?.startsWith(p))) {
      return { ok: false, line: `${at}.clientSecretEnv: ${entry.clientSecretEnv} does not start with an allowed prefix (SECRET_ENV_PREFIXES: ${secretPrefixes.join(', ')})` };
    }
    secret = env[entry.clientSecretEnv]?.trim();
    if (!secret) return { ok: false, line: `${at}.clientSecretEnv: the variable ${entry.clientSecretEnv} is not set` };
  } else if (entry.clientSecretFile !== undefined) {
    const secretPath = resolve(dirname(file.path), entry.clientSecretFile);
    try {
      secret = readFileSync(secretPath, 'utf8').trim();
    } catch (err) {
      return { ok: false, line: `${at}.clientSecretFile: cannot read ${secretPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
    if (!secret) return { ok: false, line: `${at}.clientSecretFile: ${secretPath} is empty` };
  }
  const out: Record<string, string | undefined> = {
    CXONE_ACCOUNT_ID: id,
    FLEET_PREFIX: accountPrefix(id, entry),
    CXONE_BASE_URL: entry.baseUrl,
    CXONE_TOKEN_URL: entry.tokenUrl,
    CXONE_CLIENT_ID: entry.clientId,
    CXONE_CLIENT_SECRET: secret,
    CXONE_AUTH_STYLE: entry.authStyle,
    CXONE_SCOPE: entry.scope,
    CXONE_ENDPOINTS: entry.endpoints && JSON.stringify(entry.endpoints),
    CXONE_RATE_LIMIT_RPS: entry.rateLimit?.rps?.toString(),
    CXONE_RATE_LIMIT_PER_MIN: entry.rateLimit?.perMin?.toString(),
    CXONE_RATE_LIMIT_PER_HOUR: entry.rateLimit?.perHour?.toString(),
    CXONE_RATE_LIMIT_BURST: entry.rateLimit?.burst?.toString(),
  };
  // Unset fields keep what the environment says (a fleet-wide default such as the burst).
  return { ok: true, env: Object.fromEntries(Object.entries(out).filter((e): e is [string, string] => e[1] !== undefined)) };
}
