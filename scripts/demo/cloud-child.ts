/**
 * The demo's cloud as its own process (`npm run cloud` with the demo's environment), so the gate talks
 * to it over the network as at a venue, and the link between them can be cut (./venue-link.ts). Resolves
 * once the cloud says where it listens; `stop()` asks it to shut down (SIGTERM) and waits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY = /cloud API: (http:\/\/\S+)\/api\/v1/;

export interface CloudChild {
  url: string;
  stop(): Promise<void>;
}

export async function startCloudChild(env: Record<string, string>, timeoutMs = 120_000): Promise<CloudChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the cloud did not start within ${timeoutMs / 1000} s:\n${output}`));
    }, timeoutMs);
    const untilReady = (chunk: Buffer) => {
      output += String(chunk);
      const ready = READY.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      child.stdout!.off('data', untilReady);
      resolve(ready[1]!);
    };
    child.stdout!.on('data', untilReady);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the cloud exited (${code}) before it was ready:\n${output}`));
    });
  });
  // Keep draining its output (request logs at LOG_LEVEL=info) so the pipe never fills.
  child.stdout!.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  return {
    url,
    async stop() {
      // A Ctrl-C in a terminal reaches the cloud too (one process group): it may be gone already.
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
    },
  };
}
