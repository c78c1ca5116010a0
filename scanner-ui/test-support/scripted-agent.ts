/**
 * scripted-agent: a STAND-IN for the gate agent, used only by the scanner UI's own browser tests to
 * check rendering. It serves a built `scanner-ui/dist` and answers `POST /api/scan`, `GET /api/status`
 * and `POST /api/sync` from a scripted table; it decides nothing. The real agent is `gate-agent/`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { AgentStatus, ScanDirection, ScanResult } from '../src/agent-api';

/** Answers for one code, in order; the last one repeats. */
export type ScriptedAnswers = Omit<ScanResult, 'scannedAt' | 'latencyMs'>[];

export interface ScriptedAgentOptions {
  /** Built UI folder to serve at `/`. */
  distDir: string;
  /** code → answers in order. Codes not in the table answer INVALID. */
  table?: Record<string, ScriptedAnswers>;
  status?: Partial<AgentStatus>;
}

export interface ScriptedScan {
  code: string;
  direction: ScanDirection | undefined;
  at: number;
}

export interface ScriptedAgent {
  url: string;
  /** Every scan the page sent, in order. */
  scans: ScriptedScan[];
  /** Every request path the server saw. */
  requests: string[];
  setTable(table: Record<string, ScriptedAnswers>): void;
  setStatus(patch: Partial<AgentStatus>): void;
  close(): Promise<void>;
}

export const DEFAULT_STATUS: AgentStatus = {
  deviceId: 'dev-scripted-1',
  gate: { id: 'gate-north', name: 'North Gate' },
  online: true,
  lastSyncAt: null,
  pendingUploads: 0,
  counters: { accepted: 0, rejected: 0 },
  events: [{ id: 'evt-1', name: 'Summer Concert', manifestSeq: 1200, tickets: 1200, manifestAgeSeconds: 4 }],
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

export async function startScriptedAgent(options: ScriptedAgentOptions): Promise<ScriptedAgent> {
  let table = options.table ?? {};
  const counts = new Map<string, number>();
  let status: AgentStatus = structuredClone({ ...DEFAULT_STATUS, ...options.status });
  const scans: ScriptedScan[] = [];
  const requests: string[] = [];
  const root = normalize(options.distDir);

  function answer(code: string): ScanResult {
    const answers = table[code];
    const index = counts.get(code) ?? 0;
    counts.set(code, index + 1);
    const scripted = answers?.[Math.min(index, answers.length - 1)] ?? {
      decision: 'reject' as const,
      reason: 'INVALID' as const,
      detail: 'not-a-token',
    };
    if (scripted.decision === 'accept') status.counters.accepted++;
    else status.counters.rejected++;
    return { ...scripted, scannedAt: Date.now(), latencyMs: 0.2 };
  }

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push(`${request.method} ${url.pathname}`);
    const json = (code: number, body: unknown) => {
      response.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    try {
      if (url.pathname === '/api/scan' && request.method === 'POST') {
        const body = (await readBody(request)) as { code?: unknown; direction?: ScanDirection };
        const code = typeof body.code === 'string' ? body.code : '';
        scans.push({ code, direction: body.direction, at: Date.now() });
        return json(200, answer(code));
      }
      if (url.pathname === '/api/status' && request.method === 'GET') return json(200, status);
      if (url.pathname === '/api/sync' && request.method === 'POST') {
        if (status.online) status = { ...status, lastSyncAt: Date.now(), pendingUploads: 0 };
        return json(200, status);
      }
      if (url.pathname.startsWith('/api/')) return json(404, { error: { code: 'NOT_FOUND' } });
      const path = normalize(
        join(root, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname)),
      );
      if (!path.startsWith(root + sep)) return json(404, { error: { code: 'NOT_FOUND' } });
      const content = await readFile(path);
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      response.end(content);
    } catch {
      if (!response.headersSent) json(404, { error: { code: 'NOT_FOUND' } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    scans,
    requests,
    setTable(next) {
      table = next;
      counts.clear();
    },
    setStatus(patch) {
      status = { ...status, ...patch };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
