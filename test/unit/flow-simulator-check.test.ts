// The simulator's own flow checks (src/simulator/flows-check.ts), which must stand apart
// from the fleet's checker: syntax verification inside the job, server-only rules, depth.
import { describe, expect, it } from 'vitest';
import { executionDepth, extraRuleProblems, syntaxErrors } from '../../src/simulator/flows-check.ts';
import { chain, graphFlow, seedFlow } from '../fixtures/flows/build.ts';

describe('simulator flow checks', () => {
  it('execution depth: the longest path, Infinity on a reachable loop, no recursion on 100k nodes', () => {
    expect(executionDepth(seedFlow())).toBe(3);
    expect(executionDepth(graphFlow(['disclosure', 'play', 'play', 'disconnect'], [[0, 1], [1, 2], [0, 2], [2, 3]]))).toBe(3);
    expect(executionDepth(graphFlow(['disclosure', 'play'], [[0, 1], [1, 0]]))).toBe(Infinity);
    expect(executionDepth(chain(99_999))).toBe(99_999);
  });

  it('syntax verification names each action; server-only rules name their field', () => {
    const f = seedFlow();
    f.nodes[0]!.actions[0]!.directive = 'plya';
    delete f.nodes[2]!.actions[0]!.text;
    delete f.nodes[4]!.actions[0]!.text;
    expect(syntaxErrors(f)).toEqual([
      "unknown directive 'plya' at nodes[0].actions[0]",
      'collect without text at nodes[2].actions[0]',
      'schedule without a target at nodes[4].actions[0]',
    ]);
    f.nodes[3]!.id = 'RouteAgent';
    f.nodes[3]!.type = 'voicemail';
    expect(extraRuleProblems({ ...f, description: ' ' }, ['description-required', 'ids-snake-case', 'no-voicemail'])).toEqual([
      { path: 'description', message: 'a description is required' },
      { path: 'nodes[3].id', message: "node id 'RouteAgent' must be snake_case" },
      { path: 'nodes[3].type', message: 'voicemail nodes are not licensed on this tenant' },
    ]);
  });
});
