// The set-up the campaigns tests share: a test fleet (the simulator over HTTP, its own key
// prefix) with the simulator's campaigns module configured, the producer's runtime and the
// campaign services; cleaned after each test, with anything the test registered to close.
import { afterEach, expect, vi } from 'vitest';
import type { LaunchRecord } from '../../src/campaigns/launch-store.ts';
import { createCampaignServices, type CampaignServices } from '../../src/campaigns/services.ts';
import type { Runtime } from '../../src/runtime.ts';
import type { CampaignsConfigInput } from '../../src/simulator/campaigns-config.ts';
import type { SimulatorOptions } from '../../src/simulator/server.ts';
import { startTestFleet, type TestFleet } from './fleet.ts';

export interface CampaignHarness {
  fleet: TestFleet;
  rt: Runtime;
  svc: CampaignServices;
}

export interface CampaignFleetOptions {
  sim?: SimulatorOptions | undefined;
  campaigns?: CampaignsConfigInput | undefined;
  env?: Record<string, string> | undefined;
}

/** Call at a test file's top level: `start` gives a fleet (one or more per test); afterEach closes them. */
export function useCampaignFleets() {
  const started: CampaignHarness[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    for (const x of started.splice(0)) await x.fleet.cleanup();
  });
  return {
    /** Closed (last first) after the test, before the fleet. */
    closeAfter(close: () => Promise<unknown>): void {
      closers.push(close);
    },
    async start(label: string, o: CampaignFleetOptions = {}): Promise<CampaignHarness> {
      const fleet = await startTestFleet({ label, ...(o.sim ? { sim: o.sim } : {}), ...(o.env ? { env: o.env } : {}) });
      fleet.sim.campaigns.configure(o.campaigns ?? {});
      const rt = fleet.runtime();
      const x = { fleet, rt, svc: createCampaignServices({ config: fleet.config, redis: rt.redis, enqueuer: rt.enqueuer }) };
      started.push(x);
      return x;
    },
  };
}

/** Waits until the launch has one of `statuses` (within `timeoutMs`) and returns its record. */
export async function awaitLaunch(x: CampaignHarness, launchId: string, statuses: readonly string[], timeoutMs = 20_000): Promise<LaunchRecord> {
  await vi.waitFor(async () => expect(statuses).toContain((await x.svc.getLaunch(launchId))?.status), { timeout: timeoutMs, interval: 20 });
  return (await x.svc.getLaunch(launchId))!;
}
