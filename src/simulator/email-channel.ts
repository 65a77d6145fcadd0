// One email channel's record and what CXone would make of its credentials. Split from
// email.ts so the module file stays about routes and state transitions.
import { createPrivateKey } from 'node:crypto';
import type { ChannelCreateBody, RuleCreateBody } from './email-schemas.ts';

export const ChannelState = { Pending: 'PENDING', Active: 'ACTIVE', Failed: 'FAILED' } as const;
export type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

export const ENTITY_EMAIL_CHANNEL = 'EMAIL_CHANNEL';

export interface ChannelError {
  code: 'SMTP_AUTH_FAILED' | 'DKIM_INVALID';
  message: string;
}

export interface Rule extends RuleCreateBody {
  id: string;
  createdAt: string;
}

export interface Channel {
  id: string;
  accountId: string;
  body: ChannelCreateBody;
  state: ChannelState;
  polls: number;
  /** What would stop a real CXone from activating it; decided once, at creation. */
  problem: ChannelError | undefined;
  lastError: ChannelError | undefined;
  createdAt: number;
  updatedAt: number;
  rules: Rule[];
}

export const SMTP_AUTH_FAILED: ChannelError = { code: 'SMTP_AUTH_FAILED', message: 'SMTP authentication failed (535)' };

export function credentialProblem(body: ChannelCreateBody): ChannelError | undefined {
  // 'wrong' is the simulator's agreed bad password: there is no SMTP server to ask.
  if (body.smtpConfig.password === 'wrong') return SMTP_AUTH_FAILED;
  try {
    createPrivateKey(body.dkimConfig.privateKey);
    return undefined;
  } catch (err) {
    return { code: 'DKIM_INVALID', message: `DKIM private key does not parse: ${(err as Error).message}` };
  }
}

/** The GET body: password and private key are write-only, as in CXone. */
export function channelView(ch: Channel) {
  const { body } = ch;
  return {
    id: ch.id,
    name: body.name,
    channelType: body.channelType,
    state: ch.state,
    fromAddress: body.fromAddress,
    replyToAddress: body.replyToAddress,
    enabled: body.enabled,
    smtpConfig: {
      host: body.smtpConfig.host,
      port: body.smtpConfig.port,
      username: body.smtpConfig.username,
      useTLS: body.smtpConfig.useTLS,
    },
    dkimConfig: { selector: body.dkimConfig.selector, domain: body.dkimConfig.domain },
    createdAt: new Date(ch.createdAt).toISOString(),
    updatedAt: new Date(ch.updatedAt).toISOString(),
    ...(ch.lastError ? { lastError: ch.lastError } : {}),
  };
}
