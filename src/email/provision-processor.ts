// The email-provision job: one step job per request, from spec to active channel with rules.
// create (409 → the existing id) → activate (a GET per wait, full-jitter backoff, until
// ACTIVE) → rules, each once → health schedule. Every step first reads the channel record
// and skips what exists, so a retry, a crash or a re-run repeats at most one idempotent call.
import type { AuditLog } from '../audit.ts';
import { ErrorCode, isFleetError, PermanentError } from '../errors.ts';
import type { Processor } from '../queues/define-worker.ts';
import { defineStepJob } from '../queues/step-job.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { createEmailChannel, createEmailRule, getEmailChannel, type EmailChannelCreateBody } from '../cxone/email.ts';
import type { RedactedSpec } from '../domain/email/spec.ts';
import { fullJitterDelay } from '../queues/queue-definition.ts';
import type { ProvisionStateStore } from './provision-state.ts';
import type { SecretResolver, SpecStore } from './spec-store.ts';

export type ProvisionStepName = 'created' | 'rule-created' | 'done';

export const LIKELY_ACTIVATION_CAUSES =
  'likely causes: the SMTP credentials (host, port, username, password) are wrong or the relay refuses them; the DKIM private key is not in a format CXone accepts (PEM, RSA 1024-4096 or ed25519) or does not match the published DNS record';

const ACTIVE = new Set(['ACTIVE', 'ENABLED']);
const FAILED = new Set(['FAILED', 'ERROR', 'REJECTED', 'DISABLED']);

export interface ProvisionDeps {
  client: CxoneClient;
  specs: SpecStore;
  state: ProvisionStateStore;
  secrets: SecretResolver;
  audit: AuditLog;
  accountId: string;
  /** Starts the sender-health schedule of an active channel (absent: none). */
  scheduleHealth?: (channelId: string, channelName: string, everyMs: number) => Promise<void>;
  /** Called after each recorded step; tests use it to crash a worker between steps. */
  onStep?: (step: ProvisionStepName, channelName: string) => void | Promise<void>;
  random?: () => number;
}

export function channelCreateBody(spec: RedactedSpec, secret: { password: string; privateKey: string }): EmailChannelCreateBody {
  return {
    name: spec.name,
    channelType: 'EMAIL',
    fromAddress: spec.from,
    replyToAddress: spec.replyTo,
    smtpConfig: { host: spec.smtp.host, port: spec.smtp.port, username: spec.smtp.username, password: secret.password, useTLS: spec.smtp.tls !== 'none' },
    dkimConfig: { selector: spec.dkim.selector, privateKey: secret.privateKey, domain: spec.dkim.domain },
    enabled: spec.enabled,
  };
}

function describeError(e: unknown): string {
  if (e === undefined || e === null) return 'no reason given';
  if (typeof e === 'string') return e;
  const o = e as Record<string, unknown>;
  const msg = o.errorMessage ?? o.message;
  const code = o.errorCode ?? o.code;
  if (typeof msg === 'string') return typeof code === 'string' || typeof code === 'number' ? `${code}: ${msg}` : msg;
  return JSON.stringify(e);
}

interface ProvisionJobState {
  channelId?: string;
  activationStartedAt?: number;
}

export function createProvisionProcessor(deps: ProvisionDeps): Processor<'emailProvision'> {
  const audit = (kind: string, status: string, extra: { entityId?: string; cxoneId?: string; latencyMs?: number; errorCode?: string } = {}) =>
    deps.audit.append({ kind, accountId: deps.accountId, status, ...extra });
  const firstPoll = (d: { pollBaseMs: number; pollMaxMs: number }) => fullJitterDelay(d.pollBaseMs, 0, d.pollMaxMs, deps.random);

  return defineStepJob<'emailProvision', 'create' | 'activate' | 'rules' | 'health', ProvisionJobState>({
    first: 'create',
    initial: () => ({}),
    deadlineMs: (data) => data.activationTimeoutMs,
    steps: {
      // The channel. Secrets are read here, used in the request body, and dropped.
      async create({ data, signal, log, save, deadline }) {
        const name = data.channelName;
        const s = await deps.state.get(name);
        let channelId = s?.channelId;
        if (!channelId) {
          const stored = await deps.specs.get(data.specKey);
          if (!stored) throw new PermanentError(`no stored spec ${data.specKey} for channel "${name}"`, { code: ErrorCode.Validation });
          await deps.state.setStep(name, 'creating');
          const started = performance.now();
          const res = await createEmailChannel(deps.client, channelCreateBody(stored.redacted, deps.secrets.resolve(stored.secrets)), {
            signal,
            idempotencyKey: `email-channel.${data.specKey}`,
          });
          channelId = res.id;
          await deps.state.setChannel(name, channelId, res.created);
          await audit('email.channel.create', res.created ? 'created' : 'exists', { entityId: name, cxoneId: channelId, latencyMs: Math.round(performance.now() - started) });
          log.info({ channel: name, channelId, created: res.created }, 'email channel recorded');
        }
        await save({ channelId, activationStartedAt: Date.now() });
        const active = s?.activation === 'active';
        if (!active) await deps.state.setStep(name, 'activating', { activation: 'pending', deadline });
        await deps.onStep?.('created', name);
        return active ? { next: 'rules' } : { wait: firstPoll(data), then: 'activate' };
      },

      // One GET per run; PENDING waits (full jitter, cut short at the deadline).
      async activate({ data, state, signal, log, polls }) {
        const name = data.channelName;
        const channelId = state.channelId!;
        const channel = await getEmailChannel(deps.client, channelId, { signal });
        const cxoneState = channel.state.toUpperCase();
        await deps.state.recordPoll(name, cxoneState);
        if (ACTIVE.has(cxoneState)) {
          await deps.state.activate(name, cxoneState);
          await audit('email.channel.activation', 'active', { entityId: name, cxoneId: channelId, latencyMs: Date.now() - (state.activationStartedAt ?? Date.now()) });
          log.info({ channel: name, channelId, polls }, 'email channel active');
          return { next: 'rules' };
        }
        if (FAILED.has(cxoneState)) {
          throw new PermanentError(`email channel "${name}" (${channelId}) is ${cxoneState}: ${describeError(channel.lastError)}; ${LIKELY_ACTIVATION_CAUSES}`, {
            code: 'ACTIVATION_FAILED',
            details: { channel: name, channelId, polls },
          });
        }
        return { wait: fullJitterDelay(data.pollBaseMs, polls, data.pollMaxMs, deps.random), then: 'activate' };
      },

      // Routing rules, in priority order, each recorded as soon as it exists.
      async rules({ data, state, signal }) {
        const name = data.channelName;
        const channelId = state.channelId!;
        const stored = await deps.specs.get(data.specKey);
        if (!stored) throw new PermanentError(`no stored spec ${data.specKey} for channel "${name}"`, { code: ErrorCode.Validation });
        const recorded = (await deps.state.get(name))?.rules ?? {};
        for (const rule of [...stored.redacted.rules].sort((a, b) => a.priority - b.priority)) {
          if (recorded[rule.name]) continue;
          const res = await createEmailRule(
            deps.client,
            channelId,
            {
              name: rule.name,
              enabled: rule.enabled,
              priority: rule.priority,
              conditions: [{ field: 'from_domain', operator: rule.operator, value: rule.senderDomain }],
              action: { type: 'route_to_queue', target: rule.targetQueue },
            },
            { signal, idempotencyKey: `email-rule.${channelId}.${rule.name}`.slice(0, 255) },
          );
          await deps.state.setRule(name, rule.name, res.id);
          await audit('email.rule.create', res.created ? 'created' : 'exists', { entityId: `${name}/${rule.name}`, cxoneId: res.id });
          await deps.onStep?.('rule-created', name);
        }
        return { next: 'health' };
      },

      // The health schedule is an upsert, so repeating it is harmless.
      async health({ data, state, log, job }) {
        const name = data.channelName;
        const channelId = state.channelId!;
        if (deps.scheduleHealth && data.healthEveryMs > 0) await deps.scheduleHealth(channelId, name, data.healthEveryMs);
        const s = await deps.state.get(name);
        if (s?.step !== 'done') {
          await deps.state.done(name);
          await audit('email.channel.provisioned', 'done', { entityId: name, cxoneId: channelId });
        }
        await deps.onStep?.('done', name);
        const rules = Object.keys(s?.rules ?? {}).length;
        log.info({ channel: name, channelId, rules, jobId: job.id }, 'email channel provisioned');
        return { done: true, result: { channelId, step: 'done', rules } };
      },
    },

    async deadlineDetail({ data, state, step }) {
      if (step !== 'activate') return undefined;
      const s = await deps.state.get(data.channelName);
      const waited = Math.round((Date.now() - (state.activationStartedAt ?? Date.now())) / 1000);
      return `email channel "${data.channelName}" (${state.channelId}) still ${s?.cxoneState ?? 'PENDING'} after ${s?.polls ?? 0} polls over ${waited} s; ${LIKELY_ACTIVATION_CAUSES}`;
    },

    // A job that fails for good marks its channel failed, so `--wait` and status end with it.
    async onFinalFailure(data, err, { step, state, log }) {
      const code = isFleetError(err) ? err.code : 'UNEXPECTED';
      const message = err instanceof Error ? err.message : String(err);
      await deps.state.fail(data.channelName, `${code}: ${message}`, step === 'activate');
      if (step === 'activate') await audit('email.channel.activation', 'failed', { entityId: data.channelName, cxoneId: state?.channelId, errorCode: code });
      log.warn({ channel: data.channelName, channelId: state?.channelId, step, code }, 'email channel provisioning failed');
    },
  });
}
