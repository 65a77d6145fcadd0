// What production mode (NODE_ENV=production) demands beyond a well-formed environment:
// every secret the fleet needs is set, none is a value published in this repository (the
// defaults, .env.example, compose and the docs), and each is long enough to be a secret.
// The lines name the variable and the fix, never the value.

/** Values that appear in this repository, its docs and its examples: public, so never secret. */
export const DEMO_VALUES: ReadonlySet<string> = new Set(['demo-secret', 'demo-client', 'dev-webhook-secret', 'changeme', 'change-me', 'secret', 'password', 'admin']);

export const MIN_SECRET_LENGTH = 16;

interface SecretRule {
  name: string;
  what: string;
  /** Needed in production even when nothing else asks for it. */
  required: boolean;
  /** Several values separated by commas (a rotation). */
  list?: boolean;
  /** A name, not a secret: only demo values are refused. */
  identifier?: boolean;
}

const RULES: readonly SecretRule[] = [
  { name: 'CXONE_CLIENT_ID', what: 'the CXone OAuth client id', required: true, identifier: true },
  { name: 'CXONE_CLIENT_SECRET', what: 'the CXone OAuth client secret', required: true },
  { name: 'WEBHOOK_SECRETS', what: 'the HMAC secret(s) CXone signs webhooks with', required: true, list: true },
  { name: 'ADMIN_PASSWORD', what: 'the dashboard and control API password', required: false },
  { name: 'ADMIN_TOKEN', what: 'the dashboard and control API bearer token', required: false },
  { name: 'METRICS_TOKEN', what: 'the /metrics bearer token', required: false },
];

function problemWith(rule: SecretRule, value: string): string | undefined {
  if (DEMO_VALUES.has(value.toLowerCase()) || /^change[-_ ]?me/i.test(value)) {
    return `is a demo value published in this repository; set ${rule.what} to a secret of your own`;
  }
  if (!rule.identifier && value.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters in production`;
  return undefined;
}

/** One line per problem (empty when production may start): `NAME: reason`. */
export function productionProblems(env: Record<string, string | undefined>): string[] {
  const lines: string[] = [];
  for (const rule of RULES) {
    const raw = env[rule.name]?.trim() ?? '';
    if (raw === '') {
      if (rule.required) lines.push(`${rule.name}: required in production (NODE_ENV=production): ${rule.what}; the demo default is refused`);
      continue;
    }
    const values = rule.list ? raw.split(',').map((v) => v.trim()).filter(Boolean) : [raw];
    for (const [i, value] of values.entries()) {
      const problem = problemWith(rule, value);
      if (problem) lines.push(`${rule.name}${values.length > 1 ? ` (value ${i + 1})` : ''}: ${problem}`);
    }
  }
  const user = env.ADMIN_USER?.trim();
  const password = env.ADMIN_PASSWORD?.trim();
  if (user && !password) lines.push('ADMIN_PASSWORD: ADMIN_USER is set without a password; set both, or ADMIN_TOKEN, or neither (admin surface off)');
  if (password && !user) lines.push('ADMIN_USER: ADMIN_PASSWORD is set without a user; set both, or neither');
  return lines;
}
