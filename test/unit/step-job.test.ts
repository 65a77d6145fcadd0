// The pure parts of step jobs: where a wait lands, and reading the saved step from job data.
import { describe, expect, it } from 'vitest';
import { savedStep, STEP_KEY, stepPolls, waitDelay } from '../../src/queues/step-job.ts';

describe('waitDelay', () => {
  it('keeps a wait that ends before the deadline, rounded', () => {
    expect(waitDelay(250.4, 1_000, 10_000)).toBe(250);
  });

  it('cuts a wait short so it ends on the deadline', () => {
    expect(waitDelay(5_000, 1_000, 3_000)).toBe(2_000);
  });

  it('never waits less than 1 ms (BullMQ reads 0 as no delay)', () => {
    expect(waitDelay(0, 1_000, 10_000)).toBe(1);
    expect(waitDelay(-5, 1_000, 10_000)).toBe(1);
    expect(waitDelay(100, 2_999.5, 3_000)).toBe(1);
  });
});

describe('savedStep', () => {
  const saved = { step: 'activate', state: { channelId: 'c1' }, polls: 3, deadline: 123 };

  it('reads the step, state, polls and deadline a step job saved beside its payload', () => {
    const data = { accountId: 'a', [STEP_KEY]: saved };
    expect(savedStep(data)).toEqual(saved);
    expect(stepPolls(data)).toBe(3);
  });

  it('is undefined for a job that has not started or is not a step job, and for a malformed value', () => {
    for (const data of [undefined, null, {}, { accountId: 'a' }, { [STEP_KEY]: { step: 'x' } }, { [STEP_KEY]: { ...saved, polls: '3' } }, { [STEP_KEY]: 'activate' }]) {
      expect(savedStep(data)).toBeUndefined();
      expect(stepPolls(data)).toBe(0);
    }
  });
});
