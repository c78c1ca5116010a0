/**
 * Checks the deployment and observability artefacts against the real product, so they cannot drift from
 * it unnoticed: the alert rules pass `promtool check rules` and their unit tests (which must also fail on
 * a weakened rule); every metric the rules and the Grafana dashboard query exists in the cloud's or the
 * gate agent's registry; every alert has its runbook in docs/OPERATIONS.md; the Kubernetes manifests parse,
 * agree with each other and with cloud/config.ts, and their probe paths answer on the real cloud app; the
 * Dockerfile agrees with the configuration defaults; and the exact bundle the image runs migrates a fresh
 * PostgreSQL database, serves health and metrics, and stops cleanly on SIGTERM.
 *
 * There is no container engine on the CI machine: the image itself is not built here (docs/DEPLOY.md).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig } from '../cloud/config';
import { createMetrics } from '../cloud/http/metrics';
import { createTestCloud, type TestCloud } from '../cloud/test-support/cloud';
import { mintUserToken } from '../cloud/test-support/tokens';
import { createGateMetrics } from '../gate-agent/server/metrics';
import { tempStore } from '../gate-agent/test-support/stores';
import { buildCloudBundle, CLOUD_ENTRY_POINTS, type CloudBundle, REPOSITORY_ROOT } from './build-cloud';
import { mintOpsToken } from './mint-ops-token';

const root = REPOSITORY_ROOT;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const CI = process.env['CI'] === 'true';

// biome-ignore lint/suspicious/noExplicitAny: manifests and rule files are free-form YAML
type Yaml = any;

// ---------------------------------------------------------------------------------------------------
// Shared readers
// ---------------------------------------------------------------------------------------------------

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function alertRules(text = read('deploy/prometheus/alerts.yml')): AlertRule[] {
  const file = parse(text) as { groups: { name: string; rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

interface K8sObject {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Yaml;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function k8sObjects(): K8sObject[] {
  const dir = join(root, 'deploy/k8s');
  const objects: K8sObject[] = [];
  for (const file of readdirSync(dir).filter((name) => /\.ya?ml$/.test(name))) {
    for (const document of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (document.errors.length > 0) {
        throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
      }
      const value = document.toJS() as Omit<K8sObject, 'file'> | null;
      if (value) objects.push({ ...value, file });
    }
  }
  return objects;
}

function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((object) => object.kind === kind && (!name || object.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** Dockerfile instructions (continuation lines joined, comments dropped). */
function dockerfileInstructions(): { op: string; args: string }[] {
  const joined = read('Dockerfile')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** A .dockerignore pattern list as a predicate over repository-relative paths (the forms used there). */
function dockerIgnored(): (path: string) => boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  if (patterns.some((pattern) => pattern.startsWith('!')))
    throw new Error('negated patterns: extend this check');
  const regexes = patterns.map((pattern) => {
    const source = pattern
      .split('**/')
      .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
      .join('(?:.*/)?');
    // A pattern matching a directory excludes everything below it.
    return new RegExp(`^${source}(?:/.*)?$`);
  });
  return (path) => regexes.some((regex) => regex.test(path));
}

/** GitHub-style heading anchors of a Markdown file. */
function markdownAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    anchors.add(
      match[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

// ---------------------------------------------------------------------------------------------------
// PromQL metric names
// ---------------------------------------------------------------------------------------------------

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Metric names a PromQL expression (or a Grafana `label_values(...)` query) reads. */
function metricNamesIn(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals (label values, regexes)
    .replace(/\$\{[^}]*\}|\$\w+/g, '1') // Grafana variables
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range selectors
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const before = stripped.slice(0, match.index);
    if (/^\s*\(/.test(stripped.slice(match.index + word.length))) continue; // a function call
    if (/[\d.]$/.test(before)) continue; // the unit of a duration or a number like 1e9
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    // label_values(metric, label): the second argument is a label.
    if (/label_values\s*\([^,()]*,\s*$/.test(before)) continue;
    names.add(word);
  }
  return [...names];
}

/** Every metric name the cloud and a gate agent expose, with histogram series suffixes. */
async function registryMetricNames(): Promise<Set<string>> {
  const names = new Set<string>(['up']); // written by Prometheus itself for every target
  const cloud = createMetrics({ defaultMetrics: true });
  const temp = tempStore();
  try {
    const gate = createGateMetrics(temp.store, () => Date.now());
    for (const registry of [cloud.registry, gate.registry]) {
      for (const metric of await registry.getMetricsAsJSON()) {
        names.add(metric.name);
        if (String(metric.type) === 'histogram') {
          for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
        }
      }
    }
  } finally {
    temp.cleanup();
  }
  return names;
}

interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: DashboardPanel[];
}

function dashboard(): {
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
} {
  return JSON.parse(read('deploy/grafana/venue-entry.json'));
}

function allPanels(panels: DashboardPanel[]): DashboardPanel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

// ---------------------------------------------------------------------------------------------------
// promtool
// ---------------------------------------------------------------------------------------------------

function findPromtool(): string | undefined {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? 'promtool' : undefined;
}
const promtool = findPromtool();

function runPromtool(args: string[], cwd: string) {
  if (!promtool) throw new Error('promtool is not installed (apt-get install prometheus): CI must run these');
  const result = spawnSync(promtool, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe.skipIf(!promtool && !CI)(
  `promtool on the alert rules${promtool || CI ? '' : ' (skipped: promtool not installed; apt-get install prometheus)'}`,
  () => {
    const dir = join(root, 'deploy/prometheus');

    it('check rules: every rule is valid PromQL and YAML', () => {
      const result = runPromtool(['check', 'rules', 'alerts.yml'], dir);
      expect(result.output).toContain(`SUCCESS: ${alertRules().length} rules found`);
      expect(result.status).toBe(0);
    });

    it('test rules: the unit tests pass', () => {
      const result = runPromtool(['test', 'rules', 'alerts.test.yml'], dir);
      expect(result.output, result.output).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });

    it('test rules fails when a tested alert is weakened (the unit tests can fail)', () => {
      const scratch = join(root, '.tmp', `promtool-${randomBytes(4).toString('hex')}`);
      mkdirSync(scratch, { recursive: true });
      try {
        const weakened = read('deploy/prometheus/alerts.yml').replace(
          'max by (tenant, venue, gate, device) (gate_last_report_age_seconds) > 600',
          'max by (tenant, venue, gate, device) (gate_last_report_age_seconds) > 6000',
        );
        expect(weakened).not.toBe(read('deploy/prometheus/alerts.yml'));
        writeFileSync(join(scratch, 'alerts.yml'), weakened);
        cpSync(join(dir, 'alerts.test.yml'), join(scratch, 'alerts.test.yml'));
        const result = runPromtool(['test', 'rules', 'alerts.test.yml'], scratch);
        expect(result.status).not.toBe(0);
        expect(result.output).toContain('GateOffline');
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });

    it('every dashboard query is valid PromQL (checked as recording rules, Grafana variables filled in)', () => {
      const scratch = join(root, '.tmp', `promtool-${randomBytes(4).toString('hex')}`);
      mkdirSync(scratch, { recursive: true });
      try {
        const expressions = allPanels(dashboard().panels).flatMap((panel) =>
          (panel.targets ?? []).map((target) => target.expr),
        );
        expect(expressions.length).toBeGreaterThan(12);
        const filled = expressions.map((expression) =>
          expression
            .replaceAll('$__rate_interval', '2m')
            .replaceAll('$__range', '6h')
            .replace(/\$\{?\w+\}?/g, '.*'),
        );
        const rules = {
          groups: [
            {
              name: 'dashboard',
              rules: filled.map((expr, index) => ({ record: `dashboard:query_${index}`, expr })),
            },
          ],
        };
        writeFileSync(join(scratch, 'dashboard-queries.yml'), JSON.stringify(rules));
        const result = runPromtool(['check', 'rules', 'dashboard-queries.yml'], scratch);
        expect(result.output).toContain(`SUCCESS: ${filled.length} rules found`);
        expect(result.status).toBe(0);
        // The same check refuses a broken query.
        writeFileSync(
          join(scratch, 'broken.yml'),
          JSON.stringify({
            groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum by (le (rate(x[5m]))' }] }],
          }),
        );
        expect(runPromtool(['check', 'rules', 'broken.yml'], scratch).status).not.toBe(0);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });

    it('check config: the example Prometheus configuration is valid', () => {
      const result = runPromtool(['check', 'config', '--syntax-only', 'prometheus.yml'], dir);
      expect(result.output).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });
  },
);

// ---------------------------------------------------------------------------------------------------
// Alert rules, runbooks and metric names
// ---------------------------------------------------------------------------------------------------

describe('alert rules', () => {
  const rules = alertRules();

  it('cover what an on-call engineer must hear about', () => {
    const names = rules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const required of [
      'GateOffline',
      'GateManifestStale',
      'GateUploadBacklogGrowing',
      'GateRejectRateSpike',
      'DoubleAdmissionsFound',
      'PurchaseErrorRateHigh',
      'PurchaseLatencyP95High',
      'JobFailures',
      'JobQueueStuck',
      'MintingCircuitOpen',
      'MintingFailing',
      'DatabaseDown',
      'RedisDown',
      'EventLoopLagHigh',
      'MemoryGrowth',
      'CloudTargetDown',
    ]) {
      expect(names).toContain(required);
    }
  });

  it('each has a severity, a summary, a description and a runbook entry in docs/OPERATIONS.md', () => {
    const operations = read('docs/OPERATIONS.md');
    const anchors = markdownAnchors(operations);
    for (const rule of rules) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.['severity']);
      expect(rule.annotations?.['summary'], rule.alert).toBeTruthy();
      expect(rule.annotations?.['description'], rule.alert).toBeTruthy();
      const url = rule.annotations?.['runbook_url'] ?? '';
      expect(url, rule.alert).toMatch(/^https:\/\/[^#]+\/docs\/OPERATIONS\.md#[a-z0-9-]+$/);
      const anchor = url.split('#')[1]!;
      expect(anchor, `${rule.alert}: runbook anchor #${anchor} missing in docs/OPERATIONS.md`).toBe(
        rule.alert.toLowerCase(),
      );
      expect(anchors.has(anchor), `${rule.alert}: no heading for #${anchor} in docs/OPERATIONS.md`).toBe(
        true,
      );
    }
  });

  it('the promtool unit tests show at least five alerts firing and staying silent', () => {
    const tests = parse(read('deploy/prometheus/alerts.test.yml')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    const fires = new Set(cases.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    const silent = new Set(cases.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname));
    expect(fires.size).toBeGreaterThanOrEqual(5);
    expect(silent.size).toBeGreaterThanOrEqual(5);
    for (const name of [...fires, ...silent]) expect(rules.map((rule) => rule.alert)).toContain(name);
  });

  it('the PromQL reader finds metric names and skips functions, labels, strings and durations', () => {
    expect(
      metricNamesIn(
        'sum by (job) (increase(jobs_total{outcome="failed"}[15m])) > 0 unless on (job) max(up{job=~"a|b"}) > 1e9',
      ).sort(),
    ).toEqual(['jobs_total', 'up']);
    expect(metricNamesIn('label_values(gate_last_report_age_seconds{venue=~"$venue"}, gate)')).toEqual([
      'gate_last_report_age_seconds',
    ]);
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval])))')).toEqual(
      ['x_bucket'],
    );
  });
});

describe('metric names in alerts and dashboard', () => {
  let known: Set<string>;
  beforeAll(async () => {
    known = await registryMetricNames();
  });

  it('every metric an alert rule reads exists in the cloud or gate registry', () => {
    const missing = new Map<string, string[]>();
    for (const rule of alertRules()) {
      for (const name of metricNamesIn(rule.expr)) {
        if (!known.has(name)) missing.set(name, [...(missing.get(name) ?? []), rule.alert]);
      }
    }
    expect(Object.fromEntries(missing), 'metrics used by alerts but not registered').toEqual({});
  });

  it('every metric a dashboard query reads exists in the cloud or gate registry', () => {
    const board = dashboard();
    const missing = new Map<string, string[]>();
    const check = (expression: string, where: string) => {
      for (const name of metricNamesIn(expression)) {
        if (!known.has(name)) missing.set(name, [...(missing.get(name) ?? []), where]);
      }
    };
    for (const panel of allPanels(board.panels)) {
      for (const target of panel.targets ?? []) check(target.expr, panel.title);
    }
    for (const variable of board.templating.list) {
      if (variable.type !== 'query') continue;
      check(typeof variable.query === 'string' ? variable.query : variable.query.query, `$${variable.name}`);
    }
    expect(Object.fromEntries(missing), 'metrics used by the dashboard but not registered').toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------------
// Grafana dashboard
// ---------------------------------------------------------------------------------------------------

describe('Grafana dashboard', () => {
  const board = dashboard();
  const panels = allPanels(board.panels);
  const content = panels.filter((panel) => panel.type !== 'row');

  it('has at least 12 panels with unique ids and a place on the grid', () => {
    expect(content.length).toBeGreaterThanOrEqual(12);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.gridPos, panel.title).toBeDefined();
      expect(panel.title, `panel ${panel.id}`).toBeTruthy();
    }
  });

  it('takes its datasource from a template variable and filters by venue and gate', () => {
    // Grafana's variable syntax, not a JavaScript template.
    const datasourceVariable = ['$', '{datasource}'].join('');
    const variables = new Map(board.templating.list.map((variable) => [variable.name, variable]));
    expect(variables.get('datasource')?.type).toBe('datasource');
    expect(variables.get('venue')?.type).toBe('query');
    expect(variables.get('gate')?.type).toBe('query');
    for (const panel of content) {
      expect(panel.datasource?.uid, panel.title).toBe(datasourceVariable);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? [])
        expect(target.datasource?.uid, panel.title).toBe(datasourceVariable);
    }
    const gatePanels = content.filter((panel) =>
      panel.targets?.some((target) => /gate_(reported|last_report|decision)/.test(target.expr)),
    );
    expect(gatePanels.length).toBeGreaterThanOrEqual(6);
    for (const panel of gatePanels) {
      for (const target of panel.targets ?? []) {
        expect(target.expr, panel.title).toContain('venue=~"$venue"');
        expect(target.expr, panel.title).toContain('gate=~"$gate"');
      }
    }
  });

  it('shows doors, sales, jobs, sync and the runtime', () => {
    const expressions = content
      .flatMap((panel) => (panel.targets ?? []).map((target) => target.expr))
      .join('\n');
    for (const metric of [
      'gate_reported_decisions_total',
      'gate_decisions_total',
      'gate_decision_latency_seconds_bucket',
      'gate_reported_manifest_age_seconds',
      'gate_reported_pending_uploads',
      'gate_last_report_age_seconds',
      'ticket_purchases_total',
      'http_request_duration_seconds_bucket',
      'http_errors_total',
      'job_queue_depth',
      'jobs_total',
      'minting_requests_total',
      'reconciliation_findings_total',
      'scans_ingested_total',
      'db_pool_connections',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(expressions).toContain(metric);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Kubernetes manifests, Dockerfile and configuration
// ---------------------------------------------------------------------------------------------------

describe('Kubernetes manifests and Dockerfile', () => {
  const objects = k8sObjects();
  const deployment = only(objects, 'Deployment');
  const podSpec = deployment.spec.template.spec;
  const container = podSpec.containers[0];
  const configMap = only(objects, 'ConfigMap');
  const secret = only(objects, 'Secret');
  const job = only(objects, 'Job');
  const instructions = dockerfileInstructions();

  /** The example Secret with its placeholders replaced by valid values. */
  const filledSecret = () => ({
    ...secret.stringData,
    AUTH_JWT_SECRET: randomBytes(48).toString('base64'),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    STRIPE_SECRET_KEY: `sk_live_${randomBytes(24).toString('hex')}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64url')}`,
  });

  it('every file parses and names its object', () => {
    const kinds = objects.map((object) => object.kind);
    for (const kind of [
      'Namespace',
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'Job',
      'ConfigMap',
      'Secret',
      'PodDisruptionBudget',
      'Kustomization',
    ]) {
      expect(kinds).toContain(kind);
    }
    for (const object of objects) {
      expect(object.apiVersion, object.file).toBeTruthy();
      if (object.kind !== 'Kustomization') expect(object.metadata?.name, object.file).toBeTruthy();
      if (!['Namespace', 'Kustomization'].includes(object.kind)) {
        expect(object.metadata.namespace, object.file).toBe('venue-entry');
      }
    }
    const kustomization = only(objects, 'Kustomization') as K8sObject & { resources: string[] };
    expect(kustomization.resources.length).toBeGreaterThan(3);
    for (const resource of kustomization.resources) {
      expect(existsSync(join(root, 'deploy/k8s', resource)), resource).toBe(true);
    }
  });

  it('the Deployment runs at least two hardened replicas with probes, resources and config', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.startupProbe.httpGet.path).toMatch(/^\/health/);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      expect(container[probe].httpGet.port, probe).toBe('http');
    }
    expect(container.resources.requests.cpu).toBeTruthy();
    expect(container.resources.requests.memory).toBeTruthy();
    expect(container.resources.limits.memory).toBeTruthy();
    expect(podSpec.securityContext.runAsNonRoot).toBe(true);
    expect(podSpec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
    const envFrom = container.envFrom as { configMapRef?: { name: string }; secretRef?: { name: string } }[];
    expect(envFrom.map((source) => source.configMapRef?.name ?? source.secretRef?.name).sort()).toEqual(
      [configMap.metadata.name, secret.metadata.name].sort(),
    );
    expect(JSON.stringify(job.spec.template.spec.containers[0].envFrom)).toBe(JSON.stringify(envFrom));
  });

  it('ConfigMap + Secret are a configuration the cloud accepts, and the example placeholders are refused', () => {
    expect(() =>
      loadConfig({ ...configMap.data, ...secret.stringData }, { generateDevSecrets: false }),
    ).toThrow(ConfigError);
    const config = loadConfig({ ...configMap.data, ...filledSecret() }, { generateDevSecrets: false });
    expect(config.nodeEnv).toBe('production');
    expect(config.databaseUrl).toMatch(/^postgres:\/\//);
    expect(config.redisUrl).toMatch(/^redis:\/\//);
    expect(config.payments.provider).toBe('stripe');
    for (const variable of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']) {
      const placeholder = { ...configMap.data, ...filledSecret(), [variable]: secret.stringData?.[variable] };
      expect(() => loadConfig(placeholder, { generateDevSecrets: false }), variable).toThrow(variable);
    }
    const containerPort = container.ports.find(
      (port: { name: string }) => port.name === 'http',
    ).containerPort;
    expect(config.port).toBe(containerPort);
  });

  it('the termination grace period covers the preStop pause and SHUTDOWN_GRACE_MS with room to drain', () => {
    const config = loadConfig({ ...configMap.data, ...filledSecret() }, { generateDevSecrets: false });
    const preStop = container.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    const pauseMs = Number(preStop[1]) * 1000;
    expect(podSpec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(
      pauseMs + config.shutdownGraceMs + 5_000,
    );
  });

  it('Services, PodDisruptionBudget and autoscaler select the Deployment’s pods', () => {
    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    const services = objects.filter((object) => object.kind === 'Service');
    expect(services.length).toBeGreaterThanOrEqual(1);
    for (const service of services) {
      expect(matches(service.spec.selector), service.metadata.name).toBe(true);
      for (const port of service.spec.ports) expect(['http', 3000]).toContain(port.targetPort);
    }
    expect(matches(only(objects, 'PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
    expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
    const hpa = only(objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
  });

  it('the Dockerfile: multi-stage, node:20-slim runtime, non-root, health check and port as configured', () => {
    const froms = instructions.filter((instruction) => instruction.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.at(-1)!.args).toMatch(/^node:20-slim\b/);
    const runtime = instructions.slice(instructions.lastIndexOf(froms.at(-1)!));
    const user = runtime.filter((instruction) => instruction.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const healthcheck = runtime.find((instruction) => instruction.op === 'HEALTHCHECK')!.args;
    expect(healthcheck).toContain('/health/live');
    const defaults = loadConfig(
      { AUTH_JWT_SECRET: 'x'.repeat(32), KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
      { generateDevSecrets: false },
    );
    expect(runtime.find((instruction) => instruction.op === 'EXPOSE')!.args).toBe(String(defaults.port));
    expect(healthcheck).toContain(`process.env.PORT||${defaults.port}`);
    expect(String(defaults.port)).toBe(configMap.data!['PORT']);
  });

  it('the image, the Deployment and the Job run files the bundle produces', () => {
    const outputs = Object.keys(CLOUD_ENTRY_POINTS).map((name) => `dist/${name}.mjs`);
    const cmd = JSON.parse(instructions.filter((instruction) => instruction.op === 'CMD').at(-1)!.args);
    expect(cmd).toEqual(['node', 'dist/cloud/main.mjs']);
    expect(outputs).toContain(cmd[1]);
    expect(container.command).toEqual(cmd);
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'dist/cloud/migrate-cli.mjs']);
    expect(outputs).toContain('dist/cloud/migrate-cli.mjs');
    expect(read('Dockerfile')).toContain('scripts.migrate="node dist/cloud/migrate-cli.mjs"');
    expect(job.spec.template.spec.containers[0].image).toBe(container.image);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('.dockerignore keeps every file the Dockerfile copies from the context', () => {
    const ignored = dockerIgnored();
    const copies = instructions.filter(
      (instruction) => instruction.op === 'COPY' && !instruction.args.includes('--from'),
    );
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(root, source)), source).toBe(true);
        expect(ignored(source), `${source} is excluded by .dockerignore`).toBe(false);
      }
    }
    expect(ignored('node_modules/x')).toBe(true);
    expect(ignored('cloud/tests/happy.test.ts')).toBe(true);
  });
});

describe('probe paths on the real cloud app', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await createTestCloud();
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('every probe of the Deployment and the Dockerfile health check answer 200', async () => {
    const container = only(k8sObjects(), 'Deployment').spec.template.spec.containers[0];
    const healthcheck = dockerfileInstructions().find(
      (instruction) => instruction.op === 'HEALTHCHECK',
    )!.args;
    const paths = new Set<string>([
      container.livenessProbe.httpGet.path,
      container.readinessProbe.httpGet.path,
      container.startupProbe.httpGet.path,
      healthcheck.match(/\/health[\w/]*/)![0],
    ]);
    for (const path of paths) {
      const response = await cloud.call('GET', path);
      expect(response.status, path).toBe(200);
      expect(response.body.status, path).toBe('ok');
    }
    const ready = await cloud.call('GET', container.readinessProbe.httpGet.path);
    expect(ready.body.checks.database).toBe('ok');
  });

  it('a path that is not a route does not answer 200 (the check above can fail)', async () => {
    expect((await cloud.call('GET', '/health/livez')).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------------
// The image's bundle as a real process
// ---------------------------------------------------------------------------------------------------

const databaseUrl = process.env['TEST_DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'];

describe.skipIf(!databaseUrl && !CI)(
  `the image's bundle against PostgreSQL${databaseUrl || CI ? '' : ' (skipped: TEST_DATABASE_URL not set)'}`,
  () => {
    const scratch = join(root, '.tmp', `deploy-test-${randomBytes(4).toString('hex')}`);
    const databaseName = `deploytest_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const jobsPrefix = `deploy-test-${randomBytes(4).toString('hex')}`;
    const secret = randomBytes(48).toString('base64');
    let bundle: CloudBundle;
    let env: Record<string, string>;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      if (!databaseUrl) throw new Error('CI=true but TEST_DATABASE_URL is not set');
      // The image's layout: dist/ beside migrations/cloud (node_modules resolves from the repository).
      bundle = await buildCloudBundle(join(scratch, 'dist'));
      cpSync(join(root, 'migrations/cloud'), join(scratch, 'migrations/cloud'), { recursive: true });
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${databaseName}`);
      } finally {
        await admin.end();
      }
      const url = new URL(databaseUrl);
      url.pathname = `/${databaseName}`;
      env = {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        PORT: '0',
        DATABASE_URL: url.toString(),
        ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
        AUTH_JWT_SECRET: secret,
        KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        // Production refuses the test provider. Nothing here buys, so Stripe is never called.
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: `sk_live_${randomBytes(24).toString('hex')}`,
        STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64url')}`,
        DATA_DIR: join(scratch, 'must-not-be-created'),
        JOBS_PREFIX: jobsPrefix,
        SHUTDOWN_GRACE_MS: '3000',
        LOG_LEVEL: 'warn',
      };
    }, 120_000);

    afterAll(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      rmSync(scratch, { recursive: true, force: true });
      if (databaseUrl) {
        const admin = new pg.Client({ connectionString: databaseUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).finally(() => admin.end());
      }
      if (redisUrl) {
        const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
        try {
          let cursor = '0';
          for (let round = 0; round < 1_000; round++) {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `${jobsPrefix}:*`, 'COUNT', 500);
            if (keys.length > 0) await redis.del(...keys);
            cursor = next;
            if (cursor === '0') break;
          }
        } finally {
          redis.disconnect();
        }
      }
    });

    it('the bundle leaves better-sqlite3 and Electron out and is built from files the image context has', () => {
      expect(bundle.externalPackages).not.toContain('better-sqlite3');
      expect(bundle.externalPackages).not.toContain('electron');
      expect(bundle.externalPackages).toContain('pg');
      for (const page of ['ops-page', 'box-office-page', 'wallet-page']) {
        expect(readdirSync(join(bundle.outDir, page)).filter((name) => name.endsWith('.ts'))).toEqual([]);
      }
      // The image installs production dependencies only (`npm ci --omit=dev`).
      const manifest = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
      for (const name of bundle.externalPackages) {
        expect(
          Object.keys(manifest.dependencies),
          `${name} is loaded at run time but not a dependency`,
        ).toContain(name);
      }
      const ignored = dockerIgnored();
      const inputs = Object.keys(bundle.metafile.inputs).filter((input) => !input.includes('node_modules'));
      expect(inputs.length).toBeGreaterThan(10);
      // Metafile inputs are relative to the repository root (the bundle's working directory).
      for (const input of inputs) {
        expect(ignored(input), `${input} is bundled but excluded by .dockerignore`).toBe(false);
      }
    });

    it('`migrate-cli` (npm run migrate in the image) creates the schema in an empty database', async () => {
      const result = spawnSync('node', [join(bundle.outDir, 'cloud/migrate-cli.mjs')], {
        env,
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('migrations applied (postgres)');
      expect(result.status).toBe(0);
      const client = new pg.Client({ connectionString: env['DATABASE_URL'] });
      await client.connect();
      try {
        const tables = await client.query(
          "select count(*)::int as n from information_schema.tables where table_schema = 'public'",
        );
        expect(tables.rows[0].n).toBeGreaterThan(5);
      } finally {
        await client.end();
      }
    }, 120_000);

    it('the server answers its probes, guards /metrics with the ops token, and stops cleanly on SIGTERM', async () => {
      const started = spawn('node', [join(bundle.outDir, 'cloud/main.mjs')], { env, stdio: 'pipe' });
      child = started;
      let output = '';
      started.stdout?.on('data', (chunk) => {
        output += String(chunk);
      });
      started.stderr?.on('data', (chunk) => {
        output += String(chunk);
      });
      const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
      let base: string | undefined;
      for (let waited = 0; waited < 60_000 && !base; waited += 100) {
        base = output.match(/cloud API: (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
        if (!base) {
          if (started.exitCode !== null) throw new Error(`cloud exited early: ${output}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      expect(base, output).toBeDefined();

      const live = await fetch(`${base}/health/live`);
      expect(live.status).toBe(200);
      // Readiness may say 503 for a moment after start (Redis still connecting, a check over its 2 s
      // budget on a loaded machine); a probe is retried, and so is this one (bounded: 30 s).
      let ready = await fetch(`${base}/health/ready`);
      for (let waited = 0; ready.status !== 200 && waited < 30_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        ready = await fetch(`${base}/health/ready`);
      }
      expect(ready.status, output).toBe(200);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      expect(checks['database']).toBe('ok');
      if (redisUrl) expect(checks['redis']).toBe('ok');

      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      const customer = await mintUserToken({ sub: 'c1', tid: 't1', role: 'customer', secret });
      const refused = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${customer}` } });
      expect(refused.status).toBe(403);
      const token = await mintOpsToken({ secret, issuer: 'tickets-dev', audience: 'tickets-api', days: 1 });
      const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      for (const name of [
        'http_requests_total',
        'nodejs_eventloop_lag_p99_seconds',
        'process_resident_memory_bytes',
      ]) {
        expect(text).toContain(`# HELP ${name} `);
      }

      // The operations page's static files travel with the bundle (deploy/build-cloud.ts).
      const page = await fetch(`${base}/ops/events/0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      expect((await fetch(`${base}/ops/assets/ops.js`)).status).toBe(200);
      // …and the reasons' words the page imports, generated from shared/admission by the bundled cloud.
      expect(await (await fetch(`${base}/ops/assets/reasons.js`)).text()).toContain('"ALREADY_USED"');
      // The box office page too (issue 17), with the modules it loads.
      const boxOffice = await fetch(`${base}/box-office`);
      expect(boxOffice.status).toBe(200);
      expect(await boxOffice.text()).toContain('Box office');
      for (const asset of ['box-office.js', 'check-in.js', 'api.js', 'words.js', 'box-office.css']) {
        expect((await fetch(`${base}/box-office/assets/${asset}`)).status, asset).toBe(200);
      }
      // The wallet (issue 20), its script bundled by the build (no esbuild in the image).
      expect(await (await fetch(`${base}/wallet`)).text()).toContain('My tickets');
      for (const asset of ['/wallet/assets/wallet.js', '/wallet/sw.js', '/wallet/assets/icon-192.png']) {
        expect((await fetch(`${base}${asset}`)).status, asset).toBe(200);
      }

      started.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3_000 + 10_000)),
      ]);
      expect(code, output).toBe(0);
      // NODE_ENV=production with DATABASE_URL: nothing written outside the database (read-only root fs).
      expect(existsSync(env['DATA_DIR']!)).toBe(false);
    }, 90_000);
  },
);

describe('mint-ops-token', () => {
  it('refuses a short secret and a lifetime out of range, and mints an ops token for the platform tenant', async () => {
    await expect(mintOpsToken({ secret: 'short', issuer: 'i', audience: 'a', days: 1 })).rejects.toThrow(
      /32 characters/,
    );
    await expect(
      mintOpsToken({ secret: 'x'.repeat(32), issuer: 'i', audience: 'a', days: 0 }),
    ).rejects.toThrow(/--days/);
    const token = await mintOpsToken({
      secret: 'x'.repeat(32),
      issuer: 'i',
      audience: 'a',
      days: 30,
      now: 1_000,
    });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(payload).toMatchObject({ role: 'ops', tid: 'platform', sub: 'prometheus', iss: 'i', aud: 'a' });
    expect(payload.exp - payload.iat).toBe(30 * 86_400);
  });
});
