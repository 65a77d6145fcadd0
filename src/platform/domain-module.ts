// What a domain adds to the fleet, in one manifest (src/<domain>/module.ts): its queues and
// their processors, webhook kinds, control-API routes, CLI command, metrics and simulator module.
// The ingress, the worker pool, the OpenAPI document, the CLI and the simulator iterate the
// list of manifests (src/platform/modules.ts) instead of naming domains.
//
// A manifest is light to import: everything that pulls in Redis, BullMQ, Express or the
// simulator is behind a loader (`processors()`, `routes()`, `cli.load()`, `metrics()`, `simulator()`),
// so `cxone-fleet --help` and the ingress do not load what they do not run.
import type { Command } from 'commander';
import type { Registry } from 'prom-client';
import type { ReplayGuardTable } from '../dead-letters.ts';
import type { ApiRouter } from '../ingress/api/router.ts';
import type { IngressDeps } from '../ingress/app.ts';
import type { WebhookKind } from '../ingress/webhook-kinds.ts';
import type { QUEUES, QueueKey } from '../queues/registry.ts';
import type { ModuleDeps, SimModule } from '../simulator/sim-module.ts';
import type { ProcessorFactory, WorkerTable } from '../worker-pool.ts';

/** One processor factory for every queue K: leaving one out does not compile. */
export type ProcessorsFor<K extends QueueKey> = { readonly [P in K]: ProcessorFactory<P> };

/** Registers the domain's control-API routes (their OpenAPI comes from the definitions). */
export type RouteRegistrar = (api: ApiRouter, deps: IngressDeps) => void;

export interface DomainCommand {
  /** The top-level command word (`cxone-fleet <name> ...`). */
  name: string;
  /** Shown in `cxone-fleet --help` without loading the command. */
  description: string;
  load(): Promise<Command>;
}

/** What every manifest has, whatever its queues: the shape the module list holds. */
export interface AnyDomainModule {
  readonly name: string;
  readonly queues: Partial<typeof QUEUES>;
  processors(): Promise<Partial<WorkerTable>>;
  readonly webhooks?: readonly WebhookKind[];
  routes?(): Promise<RouteRegistrar>;
  readonly cli?: DomainCommand;
  /** Its Prometheus series (`cxone_fleet_<name>_*`, get-or-create): registered at every process start. */
  metrics?(): Promise<(registry: Registry) => unknown>;
  /** Its CXone stand-in: API routes, stats, and admin paths under /_sim/<name>/. */
  simulator?(): Promise<(deps: ModuleDeps) => SimModule>;
  /** What a dead letter's replay must do first, by queue (e.g. sms-send reopens its message). */
  replayGuards?(): Promise<ReplayGuardTable>;
}

export interface DomainModule<N extends string, K extends QueueKey, S extends SimModule = SimModule> extends AnyDomainModule {
  readonly name: N;
  /** The domain's queues, as listed in the registry (src/<domain>/queues.ts). */
  readonly queues: { readonly [P in K]: (typeof QUEUES)[P] };
  /** Loaded only where workers run. */
  processors(): Promise<ProcessorsFor<K>>;
  simulator?(): Promise<(deps: ModuleDeps) => S>;
}

export function defineDomainModule<const N extends string, K extends QueueKey = never, S extends SimModule = SimModule>(
  module: DomainModule<N, K, S>,
): DomainModule<N, K, S> {
  return module;
}

type QueuesOf<M> = M extends { readonly queues: infer Q } ? keyof Q : never;
type Unlisted<M extends readonly AnyDomainModule[]> = Exclude<QueueKey, QueuesOf<M[number]>>;

/**
 * The list of modules, checked: every queue of the registry must belong to a listed module
 * (so has a processor). A module left out fails to compile with the queues it would serve.
 */
export function moduleList<const M extends readonly AnyDomainModule[]>(
  modules: M & { readonly [K in Unlisted<M> as `no module serves queue ${K}`]: true },
): M {
  const repeated = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const twice = repeated(modules.map((m) => m.name));
  if (twice !== undefined) throw new Error(`two domain modules are named ${twice}`);
  // One top-level CLI word per domain: two domains that share one join their groups in one command.
  const word = repeated(modules.flatMap((m) => (m.cli ? [m.cli.name] : [])));
  if (word !== undefined) throw new Error(`two domain modules declare the CLI command ${word}`);
  return modules;
}

/** The simulator's typed handles (sim.email, sim.flows): one per module whose simulator has a `control`. */
export type SimControlsOf<M extends readonly AnyDomainModule[]> = {
  [X in M[number] as X extends { simulator?(): Promise<(deps: ModuleDeps) => { control: unknown }> } ? X['name'] : never]: X extends {
    simulator?(): Promise<(deps: ModuleDeps) => { control: infer C }>;
  }
    ? C
    : never;
};

/** The simulator's stats, one section per module that has a simulator. */
export type SimStatsOf<M extends readonly AnyDomainModule[]> = {
  [X in M[number] as X extends { simulator?(): Promise<(deps: ModuleDeps) => SimModule> } ? X['name'] : never]: X extends {
    simulator?(): Promise<(deps: ModuleDeps) => { stats(): infer T }>;
  }
    ? T
    : never;
};
