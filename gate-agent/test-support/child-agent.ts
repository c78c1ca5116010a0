/**
 * Runs the real CLI (gate-agent/main.ts through tsx) as a child process, for tests that kill it with
 * SIGKILL. `node --import tsx` rather than the tsx binary, so the signal reaches the agent itself and not
 * a wrapper process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildAgent {
  process: ChildProcess;
  url: string;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startChildAgent(args: string[], timeoutMs = 30_000): Promise<ChildAgent> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gate-agent/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\{"listening":"([^"]+)"\}/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    process: child,
    url,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** POST JSON to the child's local API; undefined when the connection died (the child was killed). */
export async function post(url: string, body?: unknown): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
