// The condition language of transitions, as the document uses it (CF 343-347): `always`,
// `input=1`, and alternatives joined by `|` (`timeout|invalid`). At a collect node the
// caller's outcome is a key (`input=<key>`), `timeout` (no input) or `invalid` (no match);
// `always` fires whatever happened.
export type Atom = { kind: 'always' } | { kind: 'input'; key: string } | { kind: 'timeout' } | { kind: 'invalid' };

export type ParsedCondition = { ok: true; atoms: Atom[] } | { ok: false; message: string };

const KEY = /^[0-9*#]{1,32}$/;

export function atomLabel(a: Atom): string {
  return a.kind === 'input' ? `input=${a.key}` : a.kind;
}

export function parseCondition(condition: string): ParsedCondition {
  const atoms: Atom[] = [];
  for (const raw of condition.split('|')) {
    const part = raw.trim();
    if (part === 'always' || part === 'timeout' || part === 'invalid') {
      atoms.push({ kind: part });
      continue;
    }
    const m = /^input\s*=\s*(.*)$/.exec(part);
    if (!m) return { ok: false, message: `unknown condition "${part}": use always, input=<keys>, timeout or invalid, joined by |` };
    const key = (m[1] ?? '').trim();
    if (!KEY.test(key)) return { ok: false, message: `"${part}": input keys are 1-32 of 0-9, * and #` };
    atoms.push({ kind: 'input', key });
  }
  return { ok: true, atoms };
}

/** The caller's outcome at a collect node, as a test case writes it: "1", "timeout", "invalid". */
export type Outcome = { kind: 'input'; key: string } | { kind: 'timeout' } | { kind: 'invalid' };

export function parseOutcome(raw: string): Outcome | null {
  const s = raw.trim();
  if (s === 'timeout' || s === 'invalid') return { kind: s };
  const key = s.startsWith('input=') ? s.slice(6).trim() : s;
  return KEY.test(key) ? { kind: 'input', key } : null;
}

/**
 * Which branch fires, first match in file order: the exact outcome, then (for a key no
 * branch names) `invalid`, then `always`. A node that reads no input (outcome undefined)
 * follows `always` only. -1 when nothing fires.
 */
export function pickBranch(branches: readonly (readonly Atom[])[], outcome: Outcome | undefined): number {
  const find = (test: (a: Atom) => boolean) => branches.findIndex((atoms) => atoms.some(test));
  if (outcome) {
    const exact = find((a) => (a.kind === 'input' ? outcome.kind === 'input' && a.key === outcome.key : a.kind === outcome.kind));
    if (exact >= 0) return exact;
    if (outcome.kind === 'input') {
      const invalid = find((a) => a.kind === 'invalid');
      if (invalid >= 0) return invalid;
    }
  }
  return find((a) => a.kind === 'always');
}
