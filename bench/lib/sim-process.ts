// The simulator in a process of its own, as CXone is a system of its own: sharing an event
// loop with the bench would stamp requests late whenever the bench is busy, and bunch them.
// Run as a script it starts the simulator from SIM_OPTIONS (JSON) and prints its URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SimulatorOptions, SimulatorStats } from '../../src/simulator/server.ts';

export interface SimProcess {
  url: string;
  stats(): Promise<SimulatorStats>;
  stop(): Promise<void>;
}

export async function startSimProcess(opts: SimulatorOptions): Promise<SimProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, SIM_OPTIONS: JSON.stringify(opts) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const { url } = JSON.parse(line.toString()) as { url: string };
  return {
    url,
    stats: async () => (await (await fetch(`${url}/_sim/stats`)).json()) as SimulatorStats,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { startSimulator } = await import('../../src/simulator/server.ts');
  const sim = await startSimulator(JSON.parse(process.env.SIM_OPTIONS ?? '{}') as SimulatorOptions);
  process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`);
  process.once('SIGTERM', () => void sim.close().then(() => process.exit(0)));
}
