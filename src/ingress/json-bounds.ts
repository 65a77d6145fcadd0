// Bounds on the shape of a parsed JSON body: nesting depth, keys per object, and entries
// (keys and array items) in all. Parsing itself is iterative in V8 and survives any depth;
// the recursive code after it (canonicalisation, schemas) does not, so a 10,000-deep body
// must be refused here, as a client error, before anything recurses into it.

export interface JsonBounds {
  maxDepth: number;
  maxKeysPerObject: number;
  maxEntries: number;
}

export const DEFAULT_JSON_BOUNDS: JsonBounds = { maxDepth: 64, maxKeysPerObject: 1_000, maxEntries: 200_000 };

/** Why `value` exceeds the bounds, or undefined. Walks with an explicit stack: no recursion. */
export function jsonShapeProblem(value: unknown, bounds: JsonBounds = DEFAULT_JSON_BOUNDS): string | undefined {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  let entries = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= bounds.maxDepth) return `JSON nests deeper than ${bounds.maxDepth} levels`;
    const children = Array.isArray(v) ? (v as unknown[]) : Object.values(v);
    if (!Array.isArray(v) && children.length > bounds.maxKeysPerObject) return `a JSON object has more than ${bounds.maxKeysPerObject} keys`;
    entries += children.length;
    if (entries > bounds.maxEntries) return `JSON has more than ${bounds.maxEntries} keys and items in all`;
    for (const c of children) if (c !== null && typeof c === 'object') stack.push({ v: c, depth: depth + 1 });
  }
  return undefined;
}
