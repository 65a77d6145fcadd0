// Every Redis key and BullMQ id of the campaigns domain, in one place. Campaign ids come from
// CXone; BullMQ ids must not contain ':' and are kept short, so they carry a hash of the id.
import { createHash } from 'node:crypto';
import { fleetKey } from '../redis.ts';

export function campaignKeys(prefix: string) {
  const k = (...parts: string[]) => fleetKey(prefix, 'campaign', ...parts);
  return {
    launch: (launchId: string) => k('launch', launchId),
    byCampaignId: () => k('by-id'),
    /** Launches numbered in start order, for their poll phases (one counter per account). */
    pollSlots: () => k('poll-slots'),
    pacing: (campaignId: string) => k('pacing', campaignId),
    decisions: (campaignId: string) => k('pacing', campaignId, 'decisions'),
    checkLock: (campaignId: string) => k('pacing', campaignId, 'lock'),
    samples: (campaignId: string) => k('abandon', campaignId),
    summary: (campaignId: string) => k('summary', campaignId),
    /** Campaigns with live pacing (their metric series are kept while they are here). */
    running: () => k('running'),
    probe: (campaignId: string) => fleetKey(prefix, 'breaker', 'dialer', campaignId, 'probe'),
  };
}

export const campaignRef = (campaignId: string) => createHash('sha256').update(campaignId).digest('hex').slice(0, 24);

export const campaignJobIds = {
  launch: (launchId: string) => `campaign.launch.${launchId}`,
  pacingScheduler: (campaignId: string) => `pacing.${campaignRef(campaignId)}`,
  operation: (op: string, campaignId: string, requestId: string) => `campaign.${op}.${campaignRef(campaignId)}.${requestId}`,
};
