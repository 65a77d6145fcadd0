// Progress bars for long CLI work, on stderr and only on a terminal (machine output on
// stdout stays clean; CI logs get no bar noise).
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

export function createProgress(opts: { enabled: boolean; total: number; format: string }): Progress {
  if (!opts.enabled || !process.stderr.isTTY) {
    return { update() {}, setTotal() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    { format: opts.format, stream: process.stderr, hideCursor: true, etaBuffer: 50, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(opts.total, 0, {});
  return {
    update: (v, payload) => bar.update(v, payload ?? {}),
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}
