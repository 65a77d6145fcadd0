// The parsers of the CLI's option values, for every command. A bad value throws commander's
// InvalidArgumentError, which commander prints after the option it belongs to, and the CLI
// exits with the usage code (2).
import { InvalidArgumentError } from 'commander';

/** A whole number >= min. */
export function intOption(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

/** A finite number in [min, max]. */
export function numberOption(name: string, min = 0, max = Number.MAX_VALUE) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}]`);
    return n;
  };
}

/** A point in time as epoch milliseconds: ISO 8601 or epoch milliseconds. */
export function timeOption(name: string) {
  return (value: string): number => {
    const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isNaN(t)) throw new InvalidArgumentError(`${name} must be an ISO 8601 time or epoch milliseconds`);
    return t;
  };
}

/** A comma-separated list; blanks are dropped. */
export function listOption(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A repeatable option: each occurrence adds a value. */
export function repeatableOption(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
