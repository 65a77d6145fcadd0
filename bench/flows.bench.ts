// Flow validation and simulation at size: validate (schema + every rule, path count
// included) plus a walk, on generated flows of 1k and 10k nodes (E close to 4V), and the
// same against a naive path-enumerating DFS on a 20-level diamond lattice (2^20 paths).
// Medians of interleaved rounds after a warm-up. Prints figures; asserts nothing.
//   npm run bench:flows            (ROUNDS=7 by default)
import { performance } from 'node:perf_hooks';
import { validateFlow } from '../src/domain/flows/check-flow.ts';
import type { Flow } from '../src/domain/flows/flow-schema.ts';
import { walkFlow } from '../src/domain/flows/simulate.ts';
import { diamondLattice, layeredFlow } from '../test/fixtures/flows/build.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const WARMUP = 2;
const TERMINALS = new Set(['agent', 'callback', 'voicemail', 'disconnect']);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function validateAndSimulate(flow: Flow, inputs: string[]): { ms: number; paths: bigint | null } {
  const t = performance.now();
  // validateFlow takes plain data, as from a parsed file: the schema runs too.
  const r = validateFlow(flow, { maxDepth: 10_000 });
  const walk = walkFlow(r.flow as Flow, inputs);
  if (!walk.ok) throw new Error(`bench walk failed: ${walk.error.message}`);
  return { ms: performance.now() - t, paths: r.paths };
}

/** What the seed's traversal becomes once its false cycles are fixed naively: every path, one by one. */
function naiveDfs(flow: Flow): { paths: number; depth: number } {
  const types = new Map(flow.nodes.map((n) => [n.id, n.type]));
  const succ = new Map<string, string[]>();
  for (const t of flow.transitions) succ.set(t.from_node, [...(succ.get(t.from_node) ?? []), t.to_node]); // set-up, not timed
  const onPath = new Set<string>();
  let paths = 0;
  let depth = 0;
  const visit = (id: string, d: number): void => {
    if (onPath.has(id)) throw new Error(`cycle at ${id}`);
    depth = Math.max(depth, d);
    if (TERMINALS.has(types.get(id) ?? '')) {
      paths++;
      return;
    }
    onPath.add(id);
    for (const next of succ.get(id) ?? []) visit(next, d + 1);
    onPath.delete(id);
  };
  visit(flow.entry_node, 0);
  return { paths, depth };
}

const small = layeredFlow(1000);
const large = layeredFlow(10_000);
const lattice = diamondLattice(20);
// One input per collect node on the way: the walk goes the full depth.
const inputsFor = (f: Flow) => Array.from({ length: f.nodes.length }, () => '1');
const walkInputs = (f: Flow) => {
  const probe = walkFlow(f, inputsFor(f));
  return probe.ok ? inputsFor(f) : inputsFor(f).slice(0, probe.steps.filter((s) => s.input !== undefined).length);
};
const inputs = new Map<Flow, string[]>([small, large, lattice].map((f) => [f, walkInputs(f)]));

const times = { small: [] as number[], large: [] as number[], lattice: [] as number[], naive: [] as number[] };
let naiveResult = { paths: 0, depth: 0 };
let latticePaths: bigint | null = null;
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  const s = validateAndSimulate(small, inputs.get(small) as string[]);
  const l = validateAndSimulate(large, inputs.get(large) as string[]);
  const d = validateAndSimulate(lattice, inputs.get(lattice) as string[]);
  const t = performance.now();
  naiveResult = naiveDfs(lattice);
  const naiveMs = performance.now() - t;
  latticePaths = d.paths;
  if (round < WARMUP) continue;
  times.small.push(s.ms);
  times.large.push(l.ms);
  times.lattice.push(d.ms);
  times.naive.push(naiveMs);
}

const m = { small: median(times.small), large: median(times.large), lattice: median(times.lattice), naive: median(times.naive) };
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
console.log(`flows bench: ${ROUNDS} rounds (after ${WARMUP} warm-up), medians, node ${process.version}`);
console.log(`  generated ${small.nodes.length} nodes / ${small.transitions.length} transitions: validate+simulate ${fmt(m.small)}`);
console.log(`  generated ${large.nodes.length} nodes / ${large.transitions.length} transitions: validate+simulate ${fmt(m.large)}`);
console.log(`  scaling 10k/1k: ${(m.large / m.small).toFixed(2)}x for ${(large.nodes.length / small.nodes.length).toFixed(2)}x the nodes (target <= 12x)`);
console.log(`  diamond lattice, 20 levels (${lattice.nodes.length} nodes, ${latticePaths} paths): validate+simulate ${fmt(m.lattice)}`);
console.log(`  naive path-enumerating DFS on it: ${fmt(m.naive)} (${naiveResult.paths} paths, depth ${naiveResult.depth})`);
console.log(`  speed-up over the naive DFS: ${(m.naive / m.lattice).toFixed(0)}x (target >= 100x)`);
