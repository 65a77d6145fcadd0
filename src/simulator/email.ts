// Email channels: create/list/get with asynchronous activation (PENDING -> ACTIVE, or stuck
// PENDING on bad SMTP credentials / DKIM key, or FAILED), routing rules, per-day analytics,
// paginated audit logs and signed bounce webhooks. Resources are per account, like SMS
// idempotency keys: two tenants may well pick the same channel name.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { EMAIL_DEFAULTS } from './email-config.ts';
import type { ActivationMode } from './email-config.ts';
import {
  ChannelState,
  ENTITY_EMAIL_CHANNEL,
  SMTP_AUTH_FAILED,
  channelView,
  credentialProblem,
} from './email-channel.ts';
import type { Channel, Rule } from './email-channel.ts';
import {
  analyticsRows,
  pageAudit,
  parseAuditQuery,
  pickMetrics,
  resolveDateRange,
  syntheticAudit,
} from './email-data.ts';
import type { AuditEntry } from './email-data.ts';
import { analyticsBodySchema, bounceInputSchema, channelCreateSchema, ruleCreateSchema } from './email-schemas.ts';
import type { BounceEvent, BounceInput } from './email-schemas.ts';
import { HttpProblem, parseJsonBody, validationProblem } from './http-io.ts';
import type { SimResponse } from './http-io.ts';
import { SCOPES } from './scopes.ts';
import type { ModuleDeps, RouteContext, SimModule } from './sim-module.ts';

export interface EmailStats {
  channelsCreated: number;
  rulesCreated: number;
  /** GETs of a single channel (activation polls), existing channels only. */
  channelPolls: number;
  /** Channels by current state (gauges). */
  channels: Record<ChannelState, number>;
  /** 400s on create/rule/analytics bodies. */
  rejected: number;
  /** 409s on duplicate channel or rule names. */
  conflicts: number;
  analyticsQueries: number;
  auditQueries: number;
  bouncesScheduled: number;
}

export interface BounceResult {
  /** False when neither `url` nor a configured webhooks url exists. */
  scheduled: boolean;
  event: BounceEvent;
}

/** The email module's handle on RunningSimulator (sim.email). */
export interface EmailControl {
  /** POSTs a signed bounce event to the webhooks url, through the shared webhook sender. */
  sendBounce(input: BounceInput): BounceResult;
}

export interface EmailModule extends SimModule {
  name: 'email';
  control: EmailControl;
  stats(): EmailStats;
}

function freshState() {
  return {
    channels: new Map<string, Channel>(),
    /** `${accountId}\0${name}` -> id */
    byName: new Map<string, string>(),
    audit: new Map<string, AuditEntry[]>(),
    created: 0,
    rules: 0,
    polls: 0,
    rejected: 0,
    conflicts: 0,
    analytics: 0,
    auditQueries: 0,
    bounces: 0,
  };
}

export function createEmailModule(deps: ModuleDeps): EmailModule {
  let s = freshState();
  const cfg = () => deps.config.current.email ?? {};

  function audit(ch: Channel, at: number, action: string, actor: string, details?: Record<string, unknown>): void {
    const list = s.audit.get(ch.accountId) ?? [];
    s.audit.set(ch.accountId, list);
    list.push({
      at,
      record: {
        id: randomUUID(),
        timestamp: new Date(at).toISOString(),
        entityId: ch.id,
        entityType: ENTITY_EMAIL_CHANNEL,
        action,
        actor,
        ...(details ? { details } : {}),
      },
    });
  }

  /** Counts a 400 and rethrows it, so stats show clients sending bad bodies. */
  function parse<S extends z.ZodType>(raw: Buffer, schema: S): z.output<S> {
    try {
      return parseJsonBody(raw, schema);
    } catch (err) {
      if (err instanceof HttpProblem) s.rejected++;
      throw err;
    }
  }

  function conflict(what: string, id: string): HttpProblem {
    s.conflicts++;
    return new HttpProblem(409, { error: 'conflict', message: `${what} already exists`, id });
  }

  function channelFor(ctx: RouteContext, id: string | undefined): Channel {
    const ch = id === undefined ? undefined : s.channels.get(id);
    // Another account's channel is as invisible as a missing one.
    if (!ch || ch.accountId !== ctx.auth.accountId) {
      throw new HttpProblem(404, { error: 'not_found', message: `no email channel ${id ?? ''}` });
    }
    return ch;
  }

  function poll(ch: Channel, at: number): void {
    s.polls++;
    ch.polls++;
    if (ch.state !== ChannelState.Pending) return;
    const a = cfg().activation;
    const mode: ActivationMode = ch.problem
      ? (a?.onBadCredentials ?? EMAIL_DEFAULTS.onBadCredentials)
      : (a?.mode ?? EMAIL_DEFAULTS.mode);
    if (mode === 'never' || ch.polls <= (a?.pendingPolls ?? EMAIL_DEFAULTS.pendingPolls)) return;
    const to = mode === 'fail' ? ChannelState.Failed : ChannelState.Active;
    if (to === ChannelState.Failed) ch.lastError = ch.problem ?? SMTP_AUTH_FAILED;
    const error = ch.lastError ? { error: ch.lastError.code } : {};
    audit(ch, at, 'STATE_CHANGED', 'system', { from: ch.state, to, ...error });
    ch.state = to;
    ch.updatedAt = at;
  }

  function createChannel(ctx: RouteContext): SimResponse {
    const body = parse(ctx.body, channelCreateSchema);
    const nameKey = `${ctx.auth.accountId}\u0000${body.name}`;
    const existing = s.byName.get(nameKey);
    if (existing !== undefined) throw conflict(`email channel '${body.name}'`, existing);
    const ch: Channel = {
      id: randomUUID(),
      accountId: ctx.auth.accountId,
      body,
      state: ChannelState.Pending,
      polls: 0,
      problem: credentialProblem(body),
      lastError: undefined,
      createdAt: ctx.now,
      updatedAt: ctx.now,
      rules: [],
    };
    s.channels.set(ch.id, ch);
    s.byName.set(nameKey, ch.id);
    s.created++;
    audit(ch, ctx.now, 'CHANNEL_CREATED', ctx.auth.clientId, { name: body.name });
    return { status: 201, body: { id: ch.id, state: ch.state } };
  }

  function listChannels(ctx: RouteContext): SimResponse {
    const name = ctx.query.get('name');
    const data = [...s.channels.values()]
      .filter((c) => c.accountId === ctx.auth.accountId && (name === null || c.body.name === name))
      .map((c) => ({ id: c.id, name: c.body.name, state: c.state, fromAddress: c.body.fromAddress }));
    return { status: 200, body: { data } };
  }

  function getChannel(ctx: RouteContext): SimResponse {
    const ch = channelFor(ctx, ctx.params.id);
    poll(ch, ctx.now);
    return { status: 200, body: channelView(ch) };
  }

  function createRule(ctx: RouteContext): SimResponse {
    const ch = channelFor(ctx, ctx.params.id);
    const body = parse(ctx.body, ruleCreateSchema);
    const existing = ch.rules.find((r) => r.name === body.name);
    if (existing) throw conflict(`rule '${body.name}' on channel ${ch.id}`, existing.id);
    const rule: Rule = { ...body, id: randomUUID(), createdAt: new Date(ctx.now).toISOString() };
    ch.rules.push(rule);
    s.rules++;
    audit(ch, ctx.now, 'RULE_CREATED', ctx.auth.clientId, { ruleId: rule.id, name: rule.name });
    return { status: 201, body: { id: rule.id } };
  }

  function listRules(ctx: RouteContext): SimResponse {
    const ch = channelFor(ctx, ctx.params.id);
    // Evaluation order: priority ascending, then creation order (sort is stable).
    return { status: 200, body: { data: [...ch.rules].sort((a, b) => a.priority - b.priority) } };
  }

  function analytics(ctx: RouteContext): SimResponse {
    const channelId = ctx.query.get('channelId');
    if (!channelId) {
      s.rejected++;
      throw validationProblem([{ field: 'channelId', message: 'query parameter required' }]);
    }
    const ch = channelFor(ctx, channelId);
    const body = parse(ctx.body, analyticsBodySchema);
    const range = resolveDateRange(body.dateRange, ctx.now);
    const metrics = cfg().metrics;
    const rows = analyticsRows(ch.id, range, metrics?.[ch.id] ?? metrics?.[ch.body.name]);
    s.analytics++;
    const from = (body.pageNumber - 1) * body.pageSize;
    return {
      status: 200,
      body: {
        channelId: ch.id,
        data: rows.slice(from, from + body.pageSize).map((r) => pickMetrics(r, body.metrics)),
        pageNumber: body.pageNumber,
        pageSize: body.pageSize,
        totalPages: Math.ceil(rows.length / body.pageSize),
        totalRecords: rows.length,
      },
    };
  }

  function auditLogs(ctx: RouteContext): SimResponse {
    const q = parseAuditQuery(ctx.query);
    s.auditQueries++;
    const n = cfg().auditRecords ?? EMAIL_DEFAULTS.auditRecords;
    const entries: AuditEntry[] = [];
    if (n > 0) {
      for (const ch of s.channels.values()) {
        if (ch.accountId !== ctx.auth.accountId) continue;
        if (q.entityId !== undefined && q.entityId !== ch.id) continue;
        entries.push(...syntheticAudit(ch.id, ENTITY_EMAIL_CHANNEL, ch.createdAt, n));
      }
    }
    entries.push(...(s.audit.get(ctx.auth.accountId) ?? []));
    // Stable: equal timestamps keep synthetic-then-recorded order, so pages never reshuffle.
    entries.sort((a, b) => a.at - b.at);
    return { status: 200, body: pageAudit(entries, q) };
  }

  const control: EmailControl = {
    sendBounce(input) {
      const b = bounceInputSchema.parse(input);
      const event: BounceEvent = {
        eventId: b.eventId ?? randomUUID(),
        channelId: b.channelId,
        messageId: b.messageId,
        recipient: b.recipient,
        bounceType: b.bounceType,
        timestamp: b.timestamp ?? new Date(deps.now()).toISOString(),
      };
      const scheduled = deps.webhooks.dispatch(b.url, [[() => ({ ...event })]]);
      if (scheduled) s.bounces++;
      return { scheduled, event };
    },
  };

  const e = deps.endpoints;
  return {
    name: 'email',
    control,
    routes: [
      { endpoint: e.emailChannelCreate, scope: SCOPES.emailChannelsWrite, handle: createChannel },
      { endpoint: e.emailChannelList, scope: SCOPES.emailChannelsRead, handle: listChannels },
      { endpoint: e.emailChannelGet, scope: SCOPES.emailChannelsRead, handle: getChannel },
      { endpoint: e.emailRuleCreate, scope: SCOPES.emailRulesWrite, handle: createRule },
      { endpoint: e.emailRuleList, scope: SCOPES.emailChannelsRead, handle: listRules },
      { endpoint: e.emailAnalytics, scope: SCOPES.analyticsEmailRead, handle: analytics },
      { endpoint: e.auditLogs, scope: SCOPES.auditlogsRead, handle: auditLogs },
    ],
    stats(): EmailStats {
      const channels: Record<ChannelState, number> = { PENDING: 0, ACTIVE: 0, FAILED: 0 };
      for (const ch of s.channels.values()) channels[ch.state]++;
      return {
        channelsCreated: s.created,
        rulesCreated: s.rules,
        channelPolls: s.polls,
        channels,
        rejected: s.rejected,
        conflicts: s.conflicts,
        analyticsQueries: s.analytics,
        auditQueries: s.auditQueries,
        bouncesScheduled: s.bounces,
      };
    },
    reset() {
      s = freshState();
    },
  };
}
