// Preloaded into the cloud under load test (NODE_OPTIONS=--import): SIGUSR2 runs a full garbage
// collection, so memory read after it is what the process retains, not garbage V8 has not collected yet.
// Only the load test sends the signal; nothing else in the cloud changes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');
process.on('SIGUSR2', () => collectGarbage());
