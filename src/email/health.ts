// Sender health per channel: every page of CXone's delivery analytics summed, rates judged
// by senderHealth, figures kept in Redis (for `email metrics`) and in gauges (for
// /metrics). Actions happen on a crossing, not on every check: entering 'warn' logs,
// counts and audits once; entering 'stop' pauses the channel. An admin's resume therefore
// sticks until the rates fall below the stop line and cross it again.
import type { Registry } from 'prom-client';
import type { AuditLog } from '../audit.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { fetchEmailAnalyticsPage, isLastPage } from '../cxone/email.ts';
import { senderHealth, type SenderHealthLevel, type SenderMetrics } from '../domain/email/bounce.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { RedisConnection } from '../redis.ts';
import { emailKeys } from './keys.ts';
import { emailMetrics } from './metrics.ts';
import type { EmailSettingsStore } from './settings.ts';

const PAGE_SIZE = 100;
const MAX_PAGES = 1_000;

export interface ChannelHealthRecord extends SenderMetrics {
  channelId: string;
  channelName: string;
  bounceRate: number;
  complaintRate: number;
  level: SenderHealthLevel;
  reasons: string[];
  pages: number;
  checkedAt: number;
}

export function createPauseStore(deps: { redis: RedisConnection; prefix: string }) {
  const key = emailKeys(deps.prefix).paused();
  return {
    async pause(channelId: string, reason: string): Promise<boolean> {
      return (await deps.redis.hsetnx(key, channelId, JSON.stringify({ reason, pausedAt: Date.now() }))) === 1;
    },
    async resume(channelId: string): Promise<boolean> {
      return (await deps.redis.hdel(key, channelId)) > 0;
    },
    async get(channelId: string): Promise<{ reason: string; pausedAt: number } | undefined> {
      const raw = await deps.redis.hget(key, channelId);
      return raw ? (JSON.parse(raw) as { reason: string; pausedAt: number }) : undefined;
    },
  };
}

/** For senders: true while sends through this channel must wait for an admin. */
export async function isChannelPaused(redis: RedisConnection, prefix: string, channelId: string): Promise<boolean> {
  return (await redis.hexists(emailKeys(prefix).paused(), channelId)) === 1;
}

export async function readChannelHealth(redis: RedisConnection, prefix: string, channelId: string): Promise<ChannelHealthRecord | undefined> {
  const raw = await redis.hget(emailKeys(prefix).health(channelId), 'last');
  return raw ? (JSON.parse(raw) as ChannelHealthRecord) : undefined;
}

/** Sums every analytics page; rows are per day. */
export async function fetchSenderMetrics(client: CxoneClient, channelId: string, signal?: AbortSignal): Promise<SenderMetrics & { pages: number }> {
  const sum: SenderMetrics = { sent: 0, delivered: 0, bounced: 0, complaints: 0 };
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  let pageNumber = 1;
  for (; pageNumber <= MAX_PAGES; pageNumber++) {
    const page = await fetchEmailAnalyticsPage(client, channelId, { pageSize: PAGE_SIZE, pageNumber }, { signal });
    for (const row of page.data) {
      sum.sent += n(row.sent);
      sum.delivered += n(row.delivered);
      sum.bounced += n(row.bounced);
      sum.complaints += n(row.complaints);
    }
    if (isLastPage(page, pageNumber, PAGE_SIZE)) break;
  }
  return { ...sum, pages: pageNumber };
}

export interface HealthDeps {
  client: CxoneClient;
  redis: RedisConnection;
  prefix: string;
  settings: EmailSettingsStore;
  audit: AuditLog;
  accountId: string;
  registry: Registry;
  now?: () => number;
}

export function createHealthProcessor(deps: HealthDeps): Processor<'emailHealth'> {
  const keys = emailKeys(deps.prefix);
  const metrics = emailMetrics(deps.registry);
  const pauses = createPauseStore(deps);
  const now = deps.now ?? Date.now;

  return async (data, { signal, log }) => {
    const { channelId, channelName } = data;
    const settings = await deps.settings.get();
    const figures = await fetchSenderMetrics(deps.client, channelId, signal);
    const health = senderHealth(figures, settings.health);
    const record: ChannelHealthRecord = { channelId, channelName, ...figures, ...health, checkedAt: now() };
    const previous = (await deps.redis.hget(keys.health(channelId), 'level')) as SenderHealthLevel | null;
    await deps.redis.hset(keys.health(channelId), { last: JSON.stringify(record) });

    const labels = { channel: channelName };
    metrics.bounceRate.set(labels, health.bounceRate);
    metrics.complaintRate.set(labels, health.complaintRate);
    metrics.sent.set(labels, figures.sent);

    const crossed = health.level !== 'ok' && health.level !== previous;
    if (crossed) {
      metrics.crossings.inc({ channel: channelName, level: health.level });
      await deps.audit.append({ kind: `email.health.${health.level}`, accountId: deps.accountId, entityId: channelName, cxoneId: channelId, status: health.level });
      log.warn({ channel: channelName, channelId, ...figures, bounceRate: health.bounceRate, complaintRate: health.complaintRate, reasons: health.reasons }, `email sender health: ${health.level}`);
      if (health.level === 'stop' && (await pauses.pause(channelId, health.reasons.join('; ')))) {
        await deps.audit.append({ kind: 'email.channel.paused', accountId: deps.accountId, entityId: channelName, cxoneId: channelId, status: 'paused' });
        log.warn({ channel: channelName, channelId }, 'email channel paused: sends stop until an admin resumes it');
      }
    }
    // The level last: a run that died before a crossing's audit and pause is repeated by the
    // job's re-run, which still sees the previous level and so the crossing.
    await deps.redis.hset(keys.health(channelId), { level: health.level });
    metrics.paused.set(labels, (await pauses.get(channelId)) ? 1 : 0);
    return { level: health.level, bounceRate: health.bounceRate, complaintRate: health.complaintRate, pages: figures.pages };
  };
}
