/**
 * Load scenario (d), the seeds' "Health Monitoring": one monitor asking GET /health/ready (which checks
 * PostgreSQL, and Redis when configured) every few seconds for the whole run.
 */
import { every, keepAliveAgent, type Series, send } from './generator';
import { type ScenarioResult, scenario } from './scenario';

/** Runs the health monitor for `seconds`, one check every `everyS` seconds. */
export async function runHealth(options: {
  base: string;
  everyS: number;
  seconds: number;
}): Promise<ScenarioResult> {
  const result = scenario('health', ['health/ready']);
  const [health] = result.series as [Series];
  const agent = keepAliveAgent(1);
  const checks = await every(options.everyS * 1000, options.seconds, async () => {
    const answer = await send(agent, options.base, 'GET', '/health/ready', {});
    health.add(answer, answer.status === 200);
  });
  agent.destroy();
  result.counters = { checks };
  return result;
}
