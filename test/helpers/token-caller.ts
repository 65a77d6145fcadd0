// A stand-in worker process for the fleet token test: N concurrent CXone calls through
// the shared client, then a JSON line with the outcome. Run with `node --import tsx`.
import { loadConfig } from '../../src/config.ts';
import { sendSms } from '../../src/cxone/sms.ts';
import { createLogger } from '../../src/logger.ts';
import { createRuntime } from '../../src/runtime.ts';

const calls = Number(process.env.CALLS ?? 500);
const rt = createRuntime(loadConfig(), { role: 'worker', logger: createLogger({ level: 'silent' }) });
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) =>
    sendSms(rt.cxone.client, { to: ['+14155550123'], from: 'ACME', text: 'hi', campaignId: 'c', idempotencyKey: `${process.pid}-${i}` }),
  ),
);
const failed = results.filter((r) => r.status === 'rejected');
process.stdout.write(`${JSON.stringify({ ok: results.length - failed.length, failed: failed.length, firstError: failed[0] ? String((failed[0]).reason) : undefined })}\n`);
await rt.close();
