/**
 * One small typed interface between the scanner UI and its gate agent, with two implementations:
 * HTTP to the page's own origin (a browser, or the agent serving the UI) and the Electron preload
 * bridge (`window.gateAgent`). The UI never talks to anything else.
 *
 * Answers are checked before use: a malformed answer becomes an `AgentError`, never a verdict, so a
 * broken agent cannot paint ACCEPT.
 */
import { isAccepting, isAdmissionReason } from '../../shared/admission/reasons';
import type {
  AgentStatus,
  GateAgentBridge,
  ScanDirection,
  ScanResult,
  UndoAnswer,
  UndoRefusalCode,
} from './agent-api';

export type {
  AgentStatus,
  EventStatus,
  GateAgentBridge,
  GateRef,
  ScanDirection,
  ScannedTicket,
  ScanReason,
  ScanResult,
  UndoAnswer,
  UndoDone,
  UndoRefused,
} from './agent-api';
export { SCAN_REASONS } from './agent-api';

declare global {
  interface Window {
    gateAgent?: GateAgentBridge;
  }
}

export interface AgentClient {
  readonly transport: 'http' | 'bridge';
  scan(code: string, direction: ScanDirection): Promise<ScanResult>;
  /** Undoes the accepted scan `seq` of this station, or says why not (issue 17). */
  undo(seq: number): Promise<UndoAnswer>;
  status(): Promise<AgentStatus>;
  sync(): Promise<AgentStatus>;
}

/** The agent could not be reached or answered something that is not a valid answer. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly code: 'UNREACHABLE' | 'HTTP_STATUS' | 'BAD_ANSWER';
  constructor(code: AgentError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Checks the fields the screen relies on; anything else in the answer is passed through. */
export function parseScanResult(value: unknown): ScanResult {
  if (
    !isObject(value) ||
    (value['decision'] !== 'accept' && value['decision'] !== 'reject') ||
    !isAdmissionReason(value['reason'])
  ) {
    throw new AgentError('BAD_ANSWER', 'the gate agent answered a scan with an unknown shape');
  }
  if ((value['decision'] === 'accept') !== isAccepting(value['reason'])) {
    // An accept must carry an OK reason and a reject must not: anything else is a broken agent.
    throw new AgentError('BAD_ANSWER', 'the gate agent answered a scan with a contradictory decision');
  }
  return value as unknown as ScanResult;
}

const UNDO_REFUSALS: ReadonlySet<string> = new Set<UndoRefusalCode>([
  'ADMISSION_NOT_FOUND',
  'ADMISSION_ALREADY_UNDONE',
  'UNDO_WINDOW_PASSED',
  'ADMISSION_NOT_LATEST',
]);

/**
 * Checks an undo answer: a done undo names the movement undone; a refusal one of the four codes. The
 * HTTP form of a refusal (`{error: {code, message}}`, 404/409) is read as the bridge's `{refusal, message}`.
 */
export function parseUndoAnswer(value: unknown): UndoAnswer {
  if (isObject(value) && isObject(value['error'])) {
    const { code, message } = value['error'];
    value = { refusal: code, message };
  }
  if (isObject(value) && typeof value['refusal'] === 'string' && UNDO_REFUSALS.has(value['refusal'])) {
    return { refusal: value['refusal'] as UndoRefusalCode, message: String(value['message'] ?? '') };
  }
  const undone = isObject(value) ? value['undone'] : undefined;
  if (!isObject(undone) || (undone['direction'] !== 'in' && undone['direction'] !== 'out')) {
    throw new AgentError('BAD_ANSWER', 'the gate agent answered an undo with an unknown shape');
  }
  return value as unknown as UndoAnswer;
}

export function parseStatus(value: unknown): AgentStatus {
  if (
    !isObject(value) ||
    !isObject(value['gate']) ||
    typeof value['online'] !== 'boolean' ||
    !isObject(value['counters']) ||
    !Array.isArray(value['events'])
  ) {
    throw new AgentError('BAD_ANSWER', 'the gate agent answered status with an unknown shape');
  }
  return value as unknown as AgentStatus;
}

/** The agent over HTTP at `baseUrl` (default: the page's own origin). */
export class HttpAgentClient implements AgentClient {
  readonly transport = 'http';
  constructor(
    private readonly baseUrl = '',
    private readonly timeoutMs = 5_000,
  ) {}

  scan(code: string, direction: ScanDirection): Promise<ScanResult> {
    return this.call('POST', '/api/scan', { code, direction }).then(parseScanResult);
  }
  undo(seq: number): Promise<UndoAnswer> {
    // 404 and 409 carry the refusal: they are answers, not failures.
    return this.call('POST', '/api/undo', { seq }, [404, 409]).then(parseUndoAnswer);
  }
  status(): Promise<AgentStatus> {
    return this.call('GET', '/api/status').then(parseStatus);
  }
  sync(): Promise<AgentStatus> {
    return this.call('POST', '/api/sync').then(parseStatus);
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    answers: readonly number[] = [],
  ): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        cache: 'no-store',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new AgentError('UNREACHABLE', 'the gate agent is not reachable', { cause });
    }
    if (!response.ok && !answers.includes(response.status))
      throw new AgentError('HTTP_STATUS', `the gate agent answered ${response.status}`);
    try {
      return await response.json();
    } catch (cause) {
      throw new AgentError('BAD_ANSWER', 'the gate agent answered something that is not JSON', { cause });
    }
  }
}

/** The agent through the Electron preload bridge. */
export class BridgeAgentClient implements AgentClient {
  readonly transport = 'bridge';
  constructor(private readonly bridge: GateAgentBridge) {}

  scan(code: string, direction: ScanDirection): Promise<ScanResult> {
    return wrap(() => this.bridge.scan(code, direction)).then(parseScanResult);
  }
  undo(seq: number): Promise<UndoAnswer> {
    return wrap(() => this.bridge.undo(seq)).then(parseUndoAnswer);
  }
  status(): Promise<AgentStatus> {
    return wrap(() => this.bridge.status()).then(parseStatus);
  }
  sync(): Promise<AgentStatus> {
    return wrap(() => this.bridge.sync()).then(parseStatus);
  }
}

async function wrap<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw new AgentError('UNREACHABLE', 'the gate agent did not answer', { cause });
  }
}

/** The bridge inside Electron, HTTP to the same origin everywhere else. */
export function createAgentClient(scope: Pick<Window, 'gateAgent'> = window): AgentClient {
  return scope.gateAgent ? new BridgeAgentClient(scope.gateAgent) : new HttpAgentClient();
}
