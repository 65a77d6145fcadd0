// The email-provision job: does the next missing step of one channel and records it.
// create (409 → the existing id) → start activation polling (a delayed job; the poll job
// enqueues this job again once ACTIVE) → routing rules, each once → done. The job reads
// the state first, so a crash at any point costs at most a repeated, idempotent call.
import type { AuditLog } from '../audit.ts';
import { ErrorCode, PermanentError } from '../errors.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { createEmailChannel, createEmailRule, type EmailChannelCreateBody } from '../cxone/email.ts';
import type { RedactedSpec } from '../domain/email/spec.ts';
import { fullJitterDelay } from './backoff.ts';
import { emailJobIds } from './keys.ts';
import type { ProvisionStateStore } from './provision-state.ts';
import type { SecretResolver, SpecStore } from './spec-store.ts';

export type ProvisionStepName = 'created' | 'activation-started' | 'rule-created' | 'done';

export interface ProvisionDeps {
  client: CxoneClient;
  specs: SpecStore;
  state: ProvisionStateStore;
  secrets: SecretResolver;
  enqueuer: Enqueuer;
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

export function createProvisionProcessor(deps: ProvisionDeps): Processor<'emailProvision'> {
  const audit = (kind: string, status: string, extra: { entityId?: string; cxoneId?: string; latencyMs?: number } = {}) =>
    deps.audit.append({ kind, accountId: deps.accountId, status, ...extra });

  return async (data, { signal, log, job }) => {
    const name = data.channelName;
    const stored = await deps.specs.get(data.specKey);
    if (!stored) throw new PermanentError(`no stored spec ${data.specKey} for channel "${name}"`, { code: ErrorCode.Validation });
    let s = await deps.state.get(name);
    if (!s) {
      s = await deps.state.request(name, data.specKey, stored.redacted.rules.length, {
        pollBaseMs: data.pollBaseMs,
        pollMaxMs: data.pollMaxMs,
        activationTimeoutMs: data.activationTimeoutMs,
        healthEveryMs: data.healthEveryMs,
      });
    }
    if (s.step === 'failed') throw new PermanentError(`channel "${name}" provisioning failed: ${s.lastError ?? 'unknown'}`, { code: 'PROVISION_FAILED' });

    // Step 1: the channel. Secrets are read here, used in the request body, and dropped.
    let channelId = s.channelId;
    if (!channelId) {
      await deps.state.setStep(name, 'creating');
      const started = performance.now();
      const secret = deps.secrets.resolve(stored.secrets);
      const res = await createEmailChannel(deps.client, channelCreateBody(stored.redacted, secret), {
        signal,
        idempotencyKey: `email-channel.${data.specKey}`,
      });
      channelId = res.id;
      await deps.state.setChannel(name, channelId, res.created);
      await audit('email.channel.create', res.created ? 'created' : 'exists', { entityId: name, cxoneId: channelId, latencyMs: Math.round(performance.now() - started) });
      log.info({ channel: name, channelId, created: res.created }, 'email channel recorded');
      await deps.onStep?.('created', name);
    }

    // Step 2: activation, by delayed poll jobs; this job ends here and is enqueued again
    // by the poll that sees ACTIVE.
    if (s.activation !== 'active') {
      const clock = await deps.state.startActivation(name, data.activationTimeoutMs);
      const ownerId = emailJobIds.pollOwner(name, clock.activationId);
      await deps.enqueuer.enqueue(
        'activationPoll',
        {
          accountId: data.accountId,
          requestId: data.requestId,
          kind: 'email-channel',
          resourceId: channelId,
          ownerId,
          poll: 1,
          startedAt: clock.startedAt,
          deadline: clock.deadline,
          baseDelayMs: data.pollBaseMs,
          maxDelayMs: data.pollMaxMs,
          channelName: name,
          run: clock.run,
        },
        // Deterministic: a second provision job of the same run adds nothing.
        { jobId: emailJobIds.poll(ownerId, 1), delay: fullJitterDelay(data.pollBaseMs, 0, data.pollMaxMs, deps.random) },
      );
      await deps.onStep?.('activation-started', name);
      return { channelId, step: 'activating' };
    }

    // Step 3: routing rules, in priority order, each recorded as soon as it exists.
    const rules = [...stored.redacted.rules].sort((a, b) => a.priority - b.priority);
    for (const rule of rules) {
      if (s.rules[rule.name]) continue;
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

    // Step 4: done; the health schedule is an upsert, so repeating it is harmless.
    const healthEveryMs = data.healthEveryMs;
    if (deps.scheduleHealth && healthEveryMs > 0) await deps.scheduleHealth(channelId, name, healthEveryMs);
    if (s.step !== 'done') {
      await deps.state.done(name);
      await audit('email.channel.provisioned', 'done', { entityId: name, cxoneId: channelId });
    }
    await deps.onStep?.('done', name);
    log.info({ channel: name, channelId, rules: rules.length, jobId: job.id }, 'email channel provisioned');
    return { channelId, step: 'done', rules: rules.length };
  };
}
