// The declarative email-channel spec, as written by a person in YAML or JSON. Objects are
// strict: a misspelt key (`passwrod`) is an error, not a silently ignored field that later
// shows up as a channel stuck in PENDING.
//
// "Exactly one of password / passwordEnv" (and privateKey / privateKeyFile) is checked in
// spec.ts on the raw input rather than with a zod refinement: zod skips an object's
// refinements once any of its fields has failed, and a spec author should see every
// problem in one pass.
import { z } from 'zod';

export const SMTP_TLS_MODES = ['implicit', 'starttls', 'none'] as const;
export type SmtpTlsMode = (typeof SMTP_TLS_MODES)[number];

export const RULE_OPERATORS = ['equals', 'contains', 'ends_with'] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

/** LDH host name (or a dotted IPv4 address, which has the same shape). */
const HOSTNAME = /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/;
/** A POSIX-portable environment variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Sender-domain patterns may be partial ("partner", ".partner.com"), so only the charset is fixed. */
const DOMAIN_PATTERN = /^[A-Za-z0-9.-]+$/;

/** A schema-level message wins over the parse-level one, so "required" is restated here. */
const expect = (message: string) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : message),
});
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const email = z.string().trim().pipe(z.email({ error: 'not a valid email address' }));
const hostname = z.string().trim().regex(HOSTNAME, 'not a valid host name');

export const smtpSchema = z.strictObject({
  host: hostname,
  port: z.int(expect('must be an integer')).min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535'),
  username: text(320),
  password: z.string().min(1, 'must not be empty').max(1024).optional(),
  passwordEnv: z.string().regex(ENV_NAME, 'not a valid environment variable name').optional(),
  tls: z.enum(SMTP_TLS_MODES, expect(`must be one of: ${SMTP_TLS_MODES.join(', ')}`)),
});

export const dkimSchema = z.strictObject({
  selector: text(253),
  domain: hostname,
  // 16 KiB holds an 8192-bit RSA PEM; anything larger is not a key.
  privateKey: z.string().min(1, 'must not be empty').max(16_384).optional(),
  privateKeyFile: text(1024).optional(),
});

export const ruleSchema = z.strictObject({
  name: text(200),
  senderDomain: z.string().trim().min(1, 'must not be empty').max(253).regex(DOMAIN_PATTERN, 'only letters, digits, dots and hyphens').toLowerCase(),
  operator: z.enum(RULE_OPERATORS, expect(`must be one of: ${RULE_OPERATORS.join(', ')}`)),
  priority: z.int(expect('must be an integer')).min(1, 'must be an integer >= 1'),
  targetQueue: text(200),
  enabled: z.boolean().default(true),
});

export const templateRefSchema = z.strictObject({
  name: text(200),
  file: text(1024),
});

export const channelSpecSchema = z.strictObject({
  name: text(200),
  from: email,
  replyTo: email,
  smtp: smtpSchema,
  dkim: dkimSchema,
  rules: z.array(ruleSchema).max(500).default([]),
  templates: z.array(templateRefSchema).max(200).default([]),
  enabled: z.boolean().default(true),
});

/** The spec as parsed, before secrets and files are resolved. */
export type ChannelSpecInput = z.infer<typeof channelSpecSchema>;

/** Where the SMTP password came from; what is kept once the password itself is dropped. */
export type PasswordRef = { source: 'env'; name: string } | { source: 'inline' };
/** Where the DKIM private key came from. */
export type PrivateKeyRef = { source: 'file'; file: string } | { source: 'inline' };

export interface ResolvedRule {
  name: string;
  senderDomain: string;
  operator: RuleOperator;
  priority: number;
  targetQueue: string;
  enabled: boolean;
}

export interface ResolvedTemplate {
  name: string;
  /** As written in the spec, relative to the spec's directory. */
  file: string;
  /** Absolute path (baseDir + file); machine-specific, so never part of the fingerprint. */
  path: string;
  /** sha256 hex of the file's content when the spec was parsed. */
  sha256: string;
}

/**
 * A spec with its secrets resolved. Holds the SMTP password and the DKIM PEM in memory:
 * never log it, store it or put it in job data; use redactSpec() for that.
 */
export interface ResolvedSpec {
  name: string;
  from: string;
  replyTo: string;
  enabled: boolean;
  smtp: {
    host: string;
    port: number;
    username: string;
    tls: SmtpTlsMode;
    /** SECRET. */
    password: string;
    passwordRef: PasswordRef;
  };
  dkim: {
    selector: string;
    domain: string;
    /** SECRET: the normalised PEM (LF line ends, no outer whitespace). */
    privateKey: string;
    privateKeyRef: PrivateKeyRef;
    /** 'sha256:<hex>' of the public key, or null when the key cannot be read (check-spec says why). */
    publicKeyFingerprint: string | null;
  };
  rules: ResolvedRule[];
  templates: ResolvedTemplate[];
}
