/**
 * The cloud's process in a simulated run: cloud/main.ts as a child (its own event loop, as in
 * production) that can be started, stopped by signal (SIGTERM, or kill -9) and started again on the same
 * port with the same environment, so the same key-encryption key opens the same database. Ready means
 * /health/ready answered; its stderr is kept for a failed run's report.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 45_000;

export interface CloudChild {
  /** Started and answering /health/ready (false from the next stop on). */
  readonly ready: boolean;
  /** A process is started (ready or not yet). */
  readonly alive: boolean;
  /** Starts the process unless one is alive; resolves once /health/ready answers (bounded). */
  start(): Promise<void>;
  /** Sends `signal` and waits for the exit (kill -9 after 10 s). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** The tail of what the process wrote to stderr (warnings and errors). */
  stderr(): string;
}

/** A cloud process for `url` with `env` (not started yet). */
export function cloudChild(url: string, env: NodeJS.ProcessEnv): CloudChild {
  let child: ChildProcess | undefined;
  /** True from /health/ready answering until the next stop. */
  let ready = false;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = child;
    if (!running) return;
    child = undefined;
    ready = false;
    if (running.exitCode === null && running.signalCode === null) running.kill(signal);
    const killer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const start = async () => {
    if (child) return;
    const spawned = spawn(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = spawned;
    exited = new Promise((resolve) => spawned.once('exit', () => resolve()));
    spawned.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const started = Date.now();
    for (;;) {
      if (spawned.exitCode !== null || spawned.signalCode !== null)
        throw new Error(`the cloud exited before it was ready:\n${stderr.slice(-2000)}`);
      if (Date.now() - started > READY_TIMEOUT_MS) {
        await stop('SIGKILL');
        throw new Error(`the cloud was not ready within ${READY_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      try {
        if ((await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok) {
          ready = true;
          return;
        }
      } catch {
        // not listening yet
      }
    }
  };

  return {
    get ready() {
      return ready;
    },
    get alive() {
      return child !== undefined;
    },
    start,
    stop,
    stderr: () => stderr,
  };
}
