// `cxone-fleet campaign ...`: wiring of the campaign commands onto src/campaigns. A plain
// commander Command, so other campaign subcommands (preview, dnc) can be added to it.
import { previewCommands } from './preview.cli.ts';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../src/config.ts';
import { intOption, numberOption } from '../src/cli/options.ts';
import { PACING_POLICIES, type PacingPolicy } from '../src/domain/campaigns/pacing.ts';
import { ErrorCode, PermanentError } from '../src/errors.ts';
import { formatBreaker, formatCampaign, formatCompliance, formatLaunch, formatSummary } from '../src/campaigns/format.ts';
import { launchOutcome, type CampaignServices } from '../src/campaigns/services.ts';
import { withCliProducer } from '../src/producer-context.ts';

async function withServices<T>(fn: (s: CampaignServices) => Promise<T>): Promise<T> {
  const { createCampaignServices } = await import('../src/campaigns/services.ts');
  return withCliProducer(loadConfig(), (ctx) => fn(createCampaignServices(ctx)));
}

const out = (json: boolean | undefined, value: unknown, lines: () => string | string[]) => {
  if (json) console.log(JSON.stringify(value));
  else for (const l of [lines()].flat()) console.log(l);
};

function policyOption(value: string): PacingPolicy {
  if (!(PACING_POLICIES as readonly string[]).includes(value)) throw new InvalidArgumentError(`--policy must be one of ${PACING_POLICIES.join(', ')}`);
  return value as PacingPolicy;
}

/** A campaign this fleet launched, or a clear error (exit 1). */
async function mustCampaign(svc: CampaignServices, campaignId: string) {
  const c = await svc.campaign(campaignId);
  if (!c) throw new PermanentError(`no campaign ${campaignId} launched by this fleet`, { code: ErrorCode.NotFound });
  return c;
}

/** Follows an operation job to its end; a failure is the job's reason (exit 1). */
async function finish(svc: CampaignServices, jobId: string, waitMs: number): Promise<unknown> {
  const done = await svc.awaitOperation(jobId, waitMs);
  if (done.state === 'completed') return done.value;
  if (done.state === 'failed') throw new PermanentError(done.reason, { code: ErrorCode.Unexpected });
  throw new PermanentError(`operation ${jobId} not done after ${waitMs / 1000} s${done.reason ? ` (last attempt: ${done.reason})` : ''}`, { code: ErrorCode.Deadline });
}

function launchCommand(): Command {
  return new Command('launch')
    .description('check the contact list, create and start a campaign, poll its start (one step job); re-running with the same --launch-id is one launch')
    .argument('<spec>', 'JSON or YAML CampaignRequest {name, description, dialerType, pacing, contactListId, dnc, autoPacing, policy}; - for stdin')
    .option('--wait', 'follow the launch until RUNNING or a failure (exit 1)')
    .option('--json', 'machine output')
    .option('--launch-id <id>', 'idempotency: the same id is the same launch')
    .option('--start-timeout-ms <ms>', 'give up on the start after this long (default CAMPAIGN_START_TIMEOUT_MS)', intOption('--start-timeout-ms', 1))
    .option('--poll-interval-ms <ms>', 'status poll interval (default CAMPAIGN_POLL_INTERVAL_MS)', intOption('--poll-interval-ms', 1))
    .option('--poll-jitter-ms <ms>', 'status poll jitter (default CAMPAIGN_POLL_JITTER_MS)', intOption('--poll-jitter-ms'))
    .option('--no-auto-pacing', 'no pacing checks once RUNNING')
    .action(async (file: string, o: { wait?: boolean; json?: boolean; launchId?: string; startTimeoutMs?: number; pollIntervalMs?: number; pollJitterMs?: number; autoPacing: boolean }) => {
      const raw = readFileSync(file === '-' ? 0 : file, 'utf8');
      const parsed: unknown = /^\s*[{[]/.test(raw) ? JSON.parse(raw) : parseYaml(raw);
      const spec = o.autoPacing ? parsed : { ...(parsed as object), autoPacing: false };
      await withServices(async (svc) => {
        const r = await svc.launch(spec, o);
        if (!o.wait) return out(o.json, { launchId: r.launchId, created: r.created, status: r.record.status }, () => `launch ${r.launchId} ${r.created ? 'enqueued' : 'exists already'}`);
        let last = '';
        for (;;) {
          const l = (await svc.awaitLaunch(r.launchId, 250))!;
          const line = formatLaunch(l);
          if (line !== last && !o.json) console.error(`  ${line}`);
          last = line;
          const outcome = launchOutcome(l);
          if (!outcome.settled) continue;
          if (o.json) console.log(JSON.stringify(l));
          else if (outcome.ok) console.log(`Campaign ${l.campaignId} is running successfully`);
          if (!outcome.ok) throw new PermanentError(outcome.message, { code: outcome.code });
          return;
        }
      });
    });
}

function statusCommand(): Command {
  return new Command('status')
    .description('a launch (by launch id) or a campaign launched by this fleet (by campaign id)')
    .argument('<id>', 'campaign id or launch id')
    .option('--watch', 'print every change until the launch settles (a campaign: every 2 s until interrupted)')
    .option('--json', 'machine output')
    .action(async (id: string, o: { watch?: boolean; json?: boolean }) => {
      await withServices(async (svc) => {
        let last = '';
        for (;;) {
          const c = await svc.campaign(id);
          const l = c ? undefined : await svc.getLaunch(id);
          if (!c && !l) throw new PermanentError(`no campaign or launch ${id}`, { code: ErrorCode.NotFound });
          const text = c ? formatCampaign(c).join('\n') : formatLaunch(l!);
          if (text !== last) out(o.json, c ?? l, () => text);
          last = text;
          if (!o.watch || (l && launchOutcome(l).settled)) return;
          // The CLI waits, not a worker: following progress is the point of --watch.
          await sleep(c ? 2_000 : 250);
        }
      });
    });
}

function stopCommand(): Command {
  return new Command('stop')
    .description('stop a campaign on CXone and end its pacing checks; waits for the result')
    .argument('<campaignId>')
    .option('--json', 'machine output')
    .option('--wait-ms <ms>', 'how long to wait for the stop (default 30000)', intOption('--wait-ms', 1), 30_000)
    .action(async (campaignId: string, o: { json?: boolean; waitMs: number }) => {
      await withServices(async (svc) => {
        await mustCampaign(svc, campaignId);
        const r = await finish(svc, (await svc.stop(campaignId)).jobId, o.waitMs);
        out(o.json, r, () => `campaign ${campaignId} stopped`);
      });
    });
}

function pacingCommand(): Command {
  return new Command('pacing')
    .description('show the pacing, set the calls per minute by hand (policy manual) or return to automatic checks')
    .argument('<campaignId>')
    .option('--cpm <n>', 'calls per minute, by hand (1-1000)', intOption('--cpm', 1))
    .option('--auto', 'automatic checks again, with the fleet policy or --policy')
    .option('--policy <name>', `one of ${PACING_POLICIES.join(', ')}`, policyOption)
    .option('--json', 'machine output')
    .action(async (campaignId: string, o: { cpm?: number; auto?: boolean; policy?: PacingPolicy; json?: boolean }) => {
      if (o.cpm !== undefined && o.auto) throw new InvalidArgumentError('--cpm sets manual pacing; it cannot go with --auto');
      await withServices(async (svc) => {
        const c = await mustCampaign(svc, campaignId);
        if (o.cpm === undefined && !o.auto && !o.policy) return out(o.json, c.pacing, () => formatCampaign(c));
        if (c.breaker.state === 'open') throw new PermanentError(`Circuit breaker open: retry in ${Math.ceil(c.breaker.retryAfterMs / 1000)} s`, { code: ErrorCode.CircuitOpen });
        const policy = o.policy ?? (o.auto ? loadConfig().campaigns.pacing.policy : undefined);
        const r = await finish(svc, (await svc.setPacing(campaignId, { callsPerMinute: o.cpm, policy })).jobId, 30_000);
        out(o.json, r, () => 'Pacing adjusted successfully');
      });
    });
}

function breakerCommand(): Command {
  return new Command('breaker')
    .description("a campaign's dialer breaker; --reset closes it")
    .argument('<campaignId>')
    .option('--reset', 'close the breaker and forget its failures')
    .option('--json', 'machine output')
    .action(async (campaignId: string, o: { reset?: boolean; json?: boolean }) => {
      await withServices(async (svc) => {
        if (o.reset) await svc.breakers.reset(campaignId);
        const v = await svc.breakers.view(campaignId);
        out(o.json, v, () => formatBreaker(v));
      });
    });
}

function summaryCommand(): Command {
  return new Command('summary')
    .description('campaign statistics from the last read; read again through a worker when older than 60 s or with --refresh')
    .argument('<campaignId>')
    .option('--refresh', 'read the statistics now (through a worker)')
    .option('--json', 'machine output')
    .action(async (campaignId: string, o: { refresh?: boolean; json?: boolean }) => {
      await withServices(async (svc) => {
        await mustCampaign(svc, campaignId);
        const r = await svc.freshSummary(campaignId, { timeoutMs: 15_000, refresh: o.refresh });
        if ('failed' in r && !r.summary) throw new PermanentError(r.failed.state === 'completed' ? 'no statistics' : (r.failed.reason ?? 'no statistics within 15 s'), { code: ErrorCode.CxoneServerError });
        const s = r.summary!;
        if ('failed' in r && !o.json) console.error(`  ! could not refresh; these figures are from ${new Date(s.asOf).toISOString()}`);
        out(o.json, { campaignId, ...s }, () => formatSummary(campaignId, s));
      });
    });
}

function complianceCommand(): Command {
  return new Command('compliance')
    .description('abandonment over 24 h and 30 d, budget left, the latest pacing decisions with their inputs')
    .argument('<campaignId>')
    .option('--decisions <n>', 'how many decisions to list (default 20)', numberOption('--decisions', 0, 500), 20)
    .option('--json', 'machine output')
    .action(async (campaignId: string, o: { decisions: number; json?: boolean }) => {
      await withServices(async (svc) => {
        const c = await svc.compliance(campaignId, o.decisions);
        if (!c) throw new PermanentError(`no campaign ${campaignId} launched by this fleet`, { code: ErrorCode.NotFound });
        out(o.json, c, () => formatCompliance(c));
      });
    });
}

export function campaignCommand(): Command {
  const campaign = new Command('campaign')
    .description('outbound campaigns: launch, status, pacing, dialer breaker, summary, compliance, stop')
    .addCommand(launchCommand())
    .addCommand(statusCommand())
    .addCommand(stopCommand())
    .addCommand(pacingCommand())
    .addCommand(breakerCommand())
    .addCommand(summaryCommand())
    .addCommand(complianceCommand());
  // The preview domain's groups (`campaign preview ...`, `campaign dnc ...`) share the word.
  return previewCommands(campaign);
}
