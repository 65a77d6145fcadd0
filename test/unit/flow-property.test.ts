// FL-P: the checker against brute force on random graphs. Never throws on anything, is
// deterministic, finds a cycle exactly when one exists, its depth is the longest path,
// its path count is the number of paths, and its disclosure check agrees with trying
// every simple path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkFlow, validateFlow } from '../../src/domain/flows/check-flow.ts';
import { loadFlow } from '../../src/domain/flows/load-flow.ts';
import { NEEDS_DISCLOSURE } from '../../src/domain/flows/problems.ts';
import { graphFlow } from '../fixtures/flows/build.ts';

const TYPES = ['play', 'disclosure', 'collect', 'agent', 'callback', 'voicemail', 'disconnect'];
const TERMINALS = new Set(['agent', 'callback', 'voicemail', 'disconnect']);
const LOOSE = { maxDepth: 10_000 };

type Edge = readonly [number, number];
interface Graph {
  types: string[];
  edges: Edge[];
}

const graph = (maxNodes: number, dag: boolean) =>
  fc.integer({ min: 1, max: maxNodes }).chain((n) =>
    fc.record({
      types: fc.array(fc.constantFrom(...TYPES), { minLength: n, maxLength: n }),
      // A DAG keeps only forward edges (a filter on the arbitrary could starve at n = 1).
      edges: fc
        .array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 })
        .map((es) => (dag ? es.filter(([a, b]) => a < b) : es)),
    }),
  );

const succ = (g: Graph) => {
  const adj: number[][] = g.types.map(() => []);
  for (const [a, b] of g.edges) adj[a]!.push(b);
  return adj;
};

function bruteHasCycle(g: Graph): boolean {
  const adj = succ(g);
  // A node is on a cycle when it can reach itself.
  return adj.some((_, start) => {
    const seen = new Set<number>();
    const stack = [...adj[start]!];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (v === start) return true;
      if (seen.has(v)) continue;
      seen.add(v);
      stack.push(...adj[v]!);
    }
    return false;
  });
}

/** Every path from node 0 (DAG only): the longest, and how many end at a terminal. */
function brutePaths(g: Graph): { longest: number; toTerminal: bigint } {
  const adj = succ(g);
  let longest = 0;
  let toTerminal = 0n;
  const walk = (v: number, depth: number): void => {
    longest = Math.max(longest, depth);
    if (TERMINALS.has(g.types[v]!)) {
      toTerminal++;
      return;
    }
    for (const w of adj[v]!) walk(w, depth + 1);
  };
  walk(0, 0);
  // The checker's depth follows every transition, terminal or not.
  const deepest = (v: number): number => Math.max(0, ...adj[v]!.map((w) => 1 + deepest(w)));
  return { longest: Math.max(longest, deepest(0)), toTerminal };
}

/** Nodes needing a disclosure that some simple path from 0 reaches before any disclosure. */
function bruteUndisclosed(g: Graph): string[] {
  const adj = succ(g);
  const found = new Set<number>();
  const onPath = new Set<number>();
  const walk = (v: number): void => {
    if (NEEDS_DISCLOSURE.includes(g.types[v]!)) found.add(v);
    if (g.types[v] === 'disclosure') return;
    onPath.add(v);
    for (const w of adj[v]!) if (!onPath.has(w)) walk(w);
    onPath.delete(v);
  };
  walk(0);
  return [...found].sort((a, b) => a - b).map((v) => `v${v}`);
}

const flowOf = (g: Graph) => graphFlow(g.types, g.edges);

describe('FL-P properties', () => {
  it('never throws on arbitrary input, from data or from text', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        const r = validateFlow(data);
        expect(r.valid).toBe(false);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        loadFlow(text, 'auto');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on well-shaped flows with arbitrary ids, types and conditions, and is deterministic', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd', 'start');
    const flow = fc.record({
      name: fc.constant('p'),
      description: fc.constant(''),
      entry_node: id,
      nodes: fc.array(
        fc.record({
          id,
          type: fc.constantFrom(...TYPES, 'menu'),
          actions: fc.array(
            fc.record(
              { directive: fc.constantFrom('play', 'collect', 'route', 'schedule', 'disconnect', 'x'), media_url: fc.constantFrom('https://a.example/x.wav', 'ftp://x', 'nope'), text: fc.string({ minLength: 1 }), max_retries: fc.nat(6) },
              { requiredKeys: ['directive'] },
            ),
            { maxLength: 2 },
          ),
        }),
        { minLength: 1, maxLength: 8 },
      ),
      transitions: fc.array(fc.record({ from_node: id, to_node: id, condition: fc.constantFrom('always', 'input=1', 'input=1|timeout', 'timeout|invalid', 'invalid', 'bogus', 'input=x') }), { maxLength: 16 }),
    });
    fc.assert(
      fc.property(flow, (f) => {
        const a = checkFlow(f);
        const b = checkFlow(structuredClone(f));
        expect(a).toEqual(b);
        expect(a.valid).toBe(a.problems.every((p) => p.severity === 'warning'));
      }),
      { numRuns: 500 },
    );
  });

  it('reports CYCLE exactly when a brute-force search finds one (graphs up to 60 nodes)', () => {
    fc.assert(
      fc.property(graph(60, false), (g) => {
        const cycles = checkFlow(flowOf(g), LOOSE).problems.filter((p) => p.code === 'CYCLE');
        expect(cycles.length > 0).toBe(bruteHasCycle(g));
        for (const c of cycles) {
          // The listed loop is a real one: it closes and each step is a transition.
          const ids = c.nodes!.map((s) => Number(s.slice(1)));
          expect(ids[0]).toBe(ids[ids.length - 1]);
          for (let i = 0; i + 1 < ids.length; i++) expect(g.edges.some(([a, b]) => a === ids[i] && b === ids[i + 1])).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('depth equals the brute-force longest path, and the path count the brute-force count (random DAGs)', () => {
    fc.assert(
      fc.property(graph(10, true), (g) => {
        const r = checkFlow(flowOf(g), LOOSE);
        const brute = brutePaths(g);
        expect(r.depth).toBe(brute.longest);
        expect(r.paths).toBe(brute.toTerminal);
      }),
      { numRuns: 400 },
    );
  });

  it('DISCLOSURE_NOT_FIRST agrees with trying every simple path (graphs with loops)', () => {
    fc.assert(
      fc.property(graph(9, false), (g) => {
        fc.pre(g.types.includes('disclosure'));
        const flagged = checkFlow(flowOf(g), LOOSE)
          .problems.filter((p) => p.code === 'DISCLOSURE_NOT_FIRST')
          .map((p) => p.nodes![p.nodes!.length - 1]!)
          .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
        expect(flagged).toEqual(bruteUndisclosed(g));
      }),
      { numRuns: 400 },
    );
  });
});
