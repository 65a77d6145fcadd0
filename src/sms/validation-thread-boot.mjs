// A worker thread does not inherit the parent's TypeScript loader: register it, then load
// the thread's body.
import { register } from 'tsx/esm/api';

register();
await import('./validation-thread.ts');
