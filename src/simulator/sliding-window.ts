// Exact sliding-window counting over arrival timestamps. Two arrivals share a window when
// they are less than `windowMs` apart, i.e. a window is the half-open interval
// (t - windowMs, t]. The busiest window always ends on an arrival, so tracking the deque
// length at each arrival gives the exact peak in O(1) amortised per request.

/** Reference implementation over a sorted list; the incremental tracker must agree with it. */
export function peakInWindow(sortedTimesMs: readonly number[], windowMs = 1000): number {
  let peak = 0;
  let i = 0;
  for (let j = 0; j < sortedTimesMs.length; j++) {
    const tj = sortedTimesMs[j] as number;
    while (tj - (sortedTimesMs[i] as number) >= windowMs) i++;
    peak = Math.max(peak, j - i + 1);
  }
  return peak;
}

/** A growable ring buffer of timestamps: push at the back, drop from the front. */
class TimeDeque {
  private buf = new Float64Array(1024);
  private head = 0;
  size = 0;

  push(t: number): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) % this.buf.length] = t;
    this.size++;
  }

  front(): number {
    return this.buf[this.head] as number;
  }

  shift(): void {
    this.head = (this.head + 1) % this.buf.length;
    this.size--;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const next = new Float64Array(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) % this.buf.length] as number;
    this.buf = next;
    this.head = 0;
  }
}

export class SlidingWindowPeak {
  private readonly window = new TimeDeque();
  private last = -Infinity;
  private max = 0;

  private readonly windowMs: number;

  constructor(windowMs = 1000) {
    this.windowMs = windowMs;
  }

  /** Arrivals must not go backwards; an earlier time (a clock step) counts as the latest. */
  arrive(t: number): void {
    const at = t < this.last ? this.last : t;
    this.last = at;
    while (this.window.size > 0 && at - this.window.front() >= this.windowMs) this.window.shift();
    this.window.push(at);
    if (this.window.size > this.max) this.max = this.window.size;
  }

  get peak(): number {
    return this.max;
  }

  reset(): void {
    this.window.clear();
    this.last = -Infinity;
    this.max = 0;
  }
}
