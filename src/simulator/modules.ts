// The one list of API-area modules the simulator serves. A new area (email channels,
// campaigns, flows) is a new file exporting createXModule(deps) plus one line here.
import { createEmailModule } from './email.ts';
import { createFlowsModule } from './flows.ts';
import type { ModuleDeps, SimModule } from './sim-module.ts';
import { createSmsModule } from './sms.ts';

export function createModules(deps: ModuleDeps): SimModule[] {
  return [createSmsModule(deps), createEmailModule(deps), createFlowsModule(deps)];
}
