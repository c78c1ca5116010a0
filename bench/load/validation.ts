/**
 * Load scenario (b), the seeds' "QR Validation (Constant VUs)": stewards at online scanners posting
 * POST /api/v1/validate with real ticket QR codes, each pausing the think time between scans (100
 * stewards with 1 s think time is the seeds' 6,000 validations a minute). Tickets are scanned in turn,
 * 'in' on one pass over them and 'out' on the next, so most decisions take the full accept path.
 */
import { keepAliveAgent, rampingVus, type Series, send } from './generator';
import { type ScenarioResult, scenario } from './scenario';

export interface ValidationOptions {
  base: string;
  gateId: string;
  stewardToken: string;
  qrCodes: readonly string[];
  stewards: number;
  seconds: number;
  thinkMs: number;
}

/** Runs the validation scenario; counters hold the decisions by reason. */
export async function runValidation(options: ValidationOptions): Promise<ScenarioResult> {
  if (options.qrCodes.length === 0) throw new RangeError('runValidation: no QR codes to scan');
  const result = scenario('qr validation', ['validate']);
  const [validate] = result.series as [Series];
  const agent = keepAliveAgent(options.stewards);
  const headers = { authorization: `Bearer ${options.stewardToken}`, 'content-type': 'application/json' };
  const decisions: Record<string, number> = {};
  let next = 0;
  const run = await rampingVus({
    stages: [
      { seconds: 0, target: options.stewards },
      { seconds: options.seconds, target: options.stewards },
    ],
    thinkMs: options.thinkMs,
    iteration: async () => {
      const n = next++;
      const direction = Math.floor(n / options.qrCodes.length) % 2 === 0 ? 'in' : 'out';
      const body = JSON.stringify({
        qr: options.qrCodes[n % options.qrCodes.length],
        gateId: options.gateId,
        direction,
      });
      const answer = await send(agent, options.base, 'POST', '/api/v1/validate', headers, body);
      let reason: string | undefined;
      if (answer.status === 200) {
        try {
          reason = (JSON.parse(answer.body) as { reason?: string }).reason;
        } catch {
          reason = undefined;
        }
      }
      // A reject (ALREADY_USED, say) is a correct answer; only a missing or malformed answer fails.
      validate.add(answer, reason !== undefined);
      const key = reason ?? `HTTP ${answer.status}`;
      decisions[key] = (decisions[key] ?? 0) + 1;
    },
  });
  agent.destroy();
  result.counters = { ...decisions, iterationsAbandoned: run.iterations - run.completed };
  return result;
}
