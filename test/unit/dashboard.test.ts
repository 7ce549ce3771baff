import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createApiMetrics } from '../../src/api/api-metrics.js';
import { httpMetrics } from '../../src/shared/observability/http-metrics.js';
import { createWorkerMetrics } from '../../src/worker/observability/worker-metrics.js';
import { testLogger } from '../support/test-logger.js';
import { countDroppedLogLines } from '../../src/shared/observability/log-metrics.js';

/**
 * The Grafana dashboard (docs/monitoring) only queries metrics the code really exports: a renamed
 * metric or a typo in a query would otherwise only show as an empty panel nobody notices.
 */

const MONITORING = new URL('../../docs/monitoring/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, MONITORING), 'utf8');

/** Series Prometheus records itself for every scrape target, not exported by the code. */
const PROMETHEUS_SERIES = new Set(['up']);

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
}

// PromQL words that look like identifiers but name no metric.
const PROMQL_KEYWORDS = new Set([
  // binary operators and modifiers
  'and',
  'or',
  'unless',
  'bool',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'start',
  'end',
  'atan2',
  // aggregation operators (they may take their `by (…)` before the parenthesis)
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
  // number literals
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects, in order of first appearance. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ') // Grafana variables ($__rate_interval, ${job})
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' '); // label lists
  const names: string[] = [];
  // Numbers and durations (0.99, 1e-9, 5m, 0x1f) are matched first so their letters are skipped.
  const token = /\d[\w.]*(?:[eE][+-]?\d+)?|([a-zA-Z_:][\w:]*)(\s*\()?/g;
  for (const [, identifier, call] of bare.matchAll(token)) {
    if (identifier === undefined || call !== undefined) continue; // a number, or a function
    if (PROMQL_KEYWORDS.has(identifier.toLowerCase())) continue;
    if (!names.includes(identifier)) names.push(identifier);
  }
  return names;
}

/** Every panel, including the ones a collapsed row keeps in its own `panels`. */
function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Each metric the registry holds, with the names its series can be queried by. */
async function seriesByMetric(registry: Registry): Promise<Map<string, string[]>> {
  const families = new Map<string, string[]>();
  for (const metric of await registry.getMetricsAsJSON()) {
    // prom-client's typings declare a numeric enum; at run time the type is its string name.
    const type = String(metric.type);
    const suffixes =
      type === 'histogram'
        ? ['', '_bucket', '_sum', '_count']
        : type === 'summary'
          ? ['', '_sum', '_count']
          : [''];
    families.set(
      metric.name,
      suffixes.map((suffix) => metric.name + suffix),
    );
  }
  return families;
}

/**
 * What the API and the worker export between them, built by the code's own factories; `own`
 * leaves out prom-client's default metrics.
 */
async function metricsOfTheCode(): Promise<{ series: Set<string>; own: Map<string, string[]> }> {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  const defaultMetrics = await seriesByMetric(defaults);

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  httpMetrics(registry);
  countDroppedLogLines(registry, { stream: { write: () => undefined }, droppedLines: () => 0 });
  createApiMetrics(registry);
  createWorkerMetrics(
    registry,
    {
      queueJobCounts: () => Promise.resolve({ waiting: 0, active: 0 }),
      outboxBacklog: () => Promise.resolve(0),
      breakerStates: () => [],
      callsInFlight: () => ({ user: 0, product: 0 }),
    },
    testLogger,
  );
  const all = await seriesByMetric(registry);
  return {
    series: new Set([...all.values()].flat()),
    own: new Map([...all].filter(([name]) => !defaultMetrics.has(name))),
  };
}

const dashboard = JSON.parse(read('grafana/dashboards/order-service.json')) as Dashboard;
const panels = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');
const targets = panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel: panel.title ?? `#${panel.id}`, target })),
);

describe('monitoring dashboard', () => {
  describe('metric names in PromQL', () => {
    it('when a quantile is taken over a histogram, then only the bucket series is named', () => {
      expect(
        metricNamesIn(
          'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{job="api"}[5m])))',
        ),
      ).to.deep.equal(['http_request_duration_seconds_bucket']);
    });

    it('when an expression has strings, label lists, durations and operators, then only metrics are named', () => {
      expect(
        metricNamesIn(
          'sum(rate(a_total{x="sum(b_total)", y=~"c|d"}[$__rate_interval] offset 1h)) / ' +
            'sum without (instance) (rate(b_count[5m])) > bool 1e-3 or on (job) vector(0)',
        ),
      ).to.deep.equal(['a_total', 'b_count']);
      expect(metricNamesIn('max by (state) (queue_jobs{state!~"completed|failed"})')).to.deep.equal(
        ['queue_jobs'],
      );
      expect(metricNamesIn('up{job=~"api|worker"} == 0 and up offset 5m')).to.deep.equal(['up']);
      expect(metricNamesIn('vector(1) * 2')).to.deep.equal([]);
    });

    it('when a row is collapsed, then the panels it holds are still walked', () => {
      const nested: Panel[] = [
        { type: 'stat', title: 'a' },
        { type: 'row', title: 'r', panels: [{ type: 'timeseries', title: 'b' }] },
      ];
      expect(allPanels(nested).map((panel) => panel.title)).to.deep.equal(['a', 'r', 'b']);
    });
  });

  describe('order-service.json', () => {
    it('when it is loaded, then it is a provisionable dashboard with panels', () => {
      expect(dashboard.uid).to.equal('order-service');
      expect(dashboard.schemaVersion).to.be.at.least(36);
      expect(panels).to.not.be.empty;
      const ids = allPanels(dashboard.panels).map((panel) => panel.id);
      expect(new Set(ids).size, 'panel ids are unique').to.equal(ids.length);
    });

    it('when a panel shows data, then it has at least one target and each names a metric', () => {
      for (const panel of panels) {
        expect(panel.targets ?? [], `panel "${panel.title}"`).to.not.be.empty;
      }
      for (const { panel, target } of targets) {
        expect(target.expr, `a target of "${panel}"`).to.be.a('string');
        expect(metricNamesIn(target.expr ?? ''), `"${panel}": ${target.expr}`).to.not.be.empty;
      }
    });

    it('when a panel queries a metric, then the API or the worker exports it', async () => {
      const { series } = await metricsOfTheCode();
      const unknown = targets.flatMap(({ panel, target }) =>
        metricNamesIn(target.expr ?? '')
          .filter((name) => !series.has(name) && !PROMETHEUS_SERIES.has(name))
          .map((name) => `${name} (panel "${panel}")`),
      );
      expect(unknown, 'metrics the code does not export').to.deep.equal([]);
    });

    it('when the service exports a metric of its own, then some panel shows it', async () => {
      const { own } = await metricsOfTheCode();
      expect([...own.keys()]).to.include.members([
        'orders_accepted_total',
        'http_request_duration_seconds',
        'circuit_breakers',
      ]);
      const shown = new Set(targets.flatMap(({ target }) => metricNamesIn(target.expr ?? '')));
      const unshown = [...own]
        .filter(([, series]) => !series.some((name) => shown.has(name)))
        .map(([name]) => name);
      expect(unshown, 'service metrics on no panel').to.deep.equal([]);
    });

    it('when a panel or target names a data source, then it is the provisioned Prometheus', () => {
      const provisioned = read('grafana/provisioning/datasources/prometheus.yml');
      const uid = /^\s*uid:\s*['"]?([\w-]+)/m.exec(provisioned)?.[1];
      expect(uid, 'uid of the provisioned data source').to.be.a('string');
      expect(provisioned).to.match(/^\s*url:\s*http:\/\/prometheus:9090\s*$/m);
      for (const panel of panels) {
        expect(panel.datasource, `panel "${panel.title}"`).to.deep.equal({
          type: 'prometheus',
          uid,
        });
      }
      for (const { panel, target } of targets) {
        expect(target.datasource, `a target of "${panel}"`).to.deep.equal({
          type: 'prometheus',
          uid,
        });
      }
    });

    it('when a query selects a job, then Prometheus scrapes a job of that name', () => {
      const jobs = new Set(
        [...read('prometheus.yml').matchAll(/^\s*-\s*job_name:\s*['"]?([\w-]+)/gm)].map(
          ([, job]) => job,
        ),
      );
      expect([...jobs]).to.include.members(['api', 'worker']);
      const selected = targets.flatMap(({ target }) =>
        [...(target.expr ?? '').matchAll(/\bjob\s*=~?\s*"([^"]*)"/g)].flatMap(([, value]) =>
          (value ?? '').split('|'),
        ),
      );
      expect(selected).to.not.be.empty;
      expect(selected.filter((job) => !jobs.has(job))).to.deep.equal([]);
    });

    it('when Grafana loads dashboards from the provider path, then compose mounts this folder there', () => {
      const provider = read('grafana/provisioning/dashboards/order-service.yml');
      const path = /^\s*path:\s*(\S+)/m.exec(provider)?.[1];
      expect(path, 'the provider path').to.be.a('string');
      const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
      expect(compose).to.include(`./docs/monitoring/grafana/dashboards:${path ?? ''}:ro`);
      expect(compose).to.include(
        './docs/monitoring/grafana/provisioning:/etc/grafana/provisioning:ro',
      );
      expect(compose).to.include(
        './docs/monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
      );
    });
  });
});
