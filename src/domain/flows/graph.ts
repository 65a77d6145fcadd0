// Graph algorithms on a flow, as plain adjacency lists over node numbers: every one is
// O(V + E) and none enumerates paths (the lattice bench has 2^20 of them). Iterative
// throughout, so a 100k-node chain cannot overflow the call stack.
export type Adjacency = readonly (readonly number[])[];

export interface Search {
  /** 1 when reached. */
  seen: Uint8Array;
  /** The node a node was first reached from; -1 for the start and unreached nodes. */
  parent: Int32Array;
}

/**
 * Breadth-first search from `start`. A node for which `stop` is true is reached but not
 * expanded: with stop = "is a disclosure node" the nodes reached are exactly those that
 * some path from the start reaches before passing any disclosure (the ones the
 * disclosures do not dominate), cycles or not.
 */
export function search(adj: Adjacency, start: number, stop?: (v: number) => boolean): Search {
  const seen = new Uint8Array(adj.length);
  const parent = new Int32Array(adj.length).fill(-1);
  const queue = [start];
  seen[start] = 1;
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as number;
    if (stop?.(v)) continue;
    for (const w of adj[v] as readonly number[]) {
      if (seen[w]) continue;
      seen[w] = 1;
      parent[w] = v;
      queue.push(w);
    }
  }
  return { seen, parent };
}

/** start ... v along parent pointers. */
export function pathTo(parent: Int32Array, v: number): number[] {
  const out: number[] = [];
  for (let x = v; x !== -1; x = parent[x] as number) out.push(x);
  return out.reverse();
}

/**
 * The strongly connected components that hold a cycle (two or more nodes, or a node with
 * a transition to itself), by Tarjan's algorithm with an explicit stack. Two branches
 * meeting at one node form no component, which is what the seed's shared `visited` map
 * got wrong (F-67).
 */
export function cyclicComponents(adj: Adjacency): number[][] {
  const n = adj.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const nextEdge = new Int32Array(n);
  const stack: number[] = [];
  const calls: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  const enter = (v: number) => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    calls.push(v);
  };
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    enter(root);
    while (calls.length > 0) {
      const v = calls[calls.length - 1] as number;
      const succ = adj[v] as readonly number[];
      if ((nextEdge[v] as number) < succ.length) {
        const w = succ[nextEdge[v] as number] as number;
        nextEdge[v] = (nextEdge[v] as number) + 1;
        if (index[w] === -1) enter(w);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, index[w] as number);
        continue;
      }
      calls.pop();
      const caller = calls[calls.length - 1];
      if (caller !== undefined) low[caller] = Math.min(low[caller] as number, low[v] as number);
      if (low[v] !== index[v]) continue;
      const comp: number[] = [];
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || succ.includes(v)) out.push(comp.sort((a, b) => a - b));
    }
  }
  return out;
}

/** One concrete loop through the component's first node, [c, ..., c]: a shortest one (BFS). */
export function loopIn(adj: Adjacency, component: readonly number[]): number[] {
  const start = component[0] as number;
  const inside = new Set(component);
  const parent = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as number;
    for (const w of adj[v] as readonly number[]) {
      if (w === start) {
        const loop: number[] = [];
        for (let x = v; x !== -1; x = parent.get(x) as number) loop.push(x);
        return [...loop.reverse(), start];
      }
      if (!inside.has(w) || parent.has(w)) continue;
      parent.set(w, v);
      queue.push(w);
    }
  }
  return [start]; // unreachable for a component from cyclicComponents
}

export interface Longest {
  /** Reached nodes in topological order; nodes on or after a cycle are left out. */
  order: number[];
  /** Transitions on the longest path from the start; -1 outside `order`. */
  depth: Int32Array;
  /** Predecessor on that longest path. */
  parent: Int32Array;
  /** The deepest node (the start when nothing else was ordered). */
  deepest: number;
}

/**
 * Longest paths from `start` over the part of the graph it reaches, by Kahn's topological
 * order (linear; the longest path problem is only easy on a DAG, so what lies on or
 * behind a cycle gets no depth, and the cycle is reported instead).
 */
export function longestPaths(adj: Adjacency, start: number, reached: Uint8Array): Longest {
  const n = adj.length;
  const indegree = new Int32Array(n);
  for (let v = 0; v < n; v++) if (reached[v]) for (const w of adj[v] as readonly number[]) indegree[w] = (indegree[w] as number) + 1;
  const depth = new Int32Array(n).fill(-1);
  const parent = new Int32Array(n).fill(-1);
  const order: number[] = [];
  let deepest = start;
  if (indegree[start] === 0) {
    depth[start] = 0;
    order.push(start);
  }
  for (let head = 0; head < order.length; head++) {
    const v = order[head] as number;
    const d = (depth[v] as number) + 1;
    for (const w of adj[v] as readonly number[]) {
      if (d > (depth[w] as number)) {
        depth[w] = d;
        parent[w] = v;
      }
      indegree[w] = (indegree[w] as number) - 1;
      if (indegree[w] === 0) {
        order.push(w);
        if ((depth[w] as number) > (depth[deepest] as number)) deepest = w;
      }
    }
  }
  return { order, depth, parent, deepest };
}

/**
 * Number of paths from each ordered node to an end node (dynamic programming in reverse
 * topological order; BigInt because a 20-level diamond already has 2^20). A walk stops
 * at an end node, so its outgoing transitions add nothing.
 */
export function countPathsFrom(adj: Adjacency, order: readonly number[], isEnd: (v: number) => boolean): bigint[] {
  const paths = new Array<bigint>(adj.length).fill(0n);
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i] as number;
    if (isEnd(v)) {
      paths[v] = 1n;
      continue;
    }
    let sum = 0n;
    for (const w of adj[v] as readonly number[]) sum += paths[w] as bigint;
    paths[v] = sum;
  }
  return paths;
}
