// Full-jitter exponential backoff for delayed polls: uniform in [0, min(cap, base * 2^n)),
// so a fleet of polls started together spreads out instead of arriving in waves.
export function fullJitterDelay(baseMs: number, n: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(n, 30));
  return Math.max(1, Math.floor(random() * ceiling));
}
