// The simulator's API-area modules: one per domain module that declares a simulator
// (src/platform/modules.ts), each serving its CXone routes and its /_sim/<name>/ admin paths.
import { DOMAIN_MODULES } from '../platform/modules.ts';
import type { ModuleDeps, SimModule } from './sim-module.ts';

export type SimModuleFactory = (deps: ModuleDeps) => SimModule;

/** Loads the simulator part of every domain module (it is not loaded anywhere else). */
export async function loadSimModules(): Promise<{ domain: string; create: SimModuleFactory }[]> {
  const loaded = await Promise.all(DOMAIN_MODULES.map(async (m) => (m.simulator ? { domain: m.name, create: await m.simulator() } : undefined)));
  return loaded.filter((x) => x !== undefined);
}

export function createModules(factories: { domain: string; create: SimModuleFactory }[], deps: ModuleDeps): SimModule[] {
  return factories.map(({ domain, create }) => {
    const module = create(deps);
    // Stats sections, handles and /_sim/<name>/ paths are keyed by the domain's name.
    if (module.name !== domain) throw new Error(`simulator module of domain ${domain} is named ${module.name}`);
    return module;
  });
}
