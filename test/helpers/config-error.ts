// The lines of the ConfigError that loadConfig throws for `env` (the test fails if none).
import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

export function configErrorLines(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).lines;
  }
  throw new Error('loadConfig accepted the environment');
}
