import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/ports.js';
import { startProcess, type RunningProcess } from '../support/processes.js';
import { eventsAbout } from '../support/event-listener.js';
import { isolatedEnvironment, services } from '../support/services.js';
import { listenForOrderEvents, type OrderEventListeners } from '../support/use-cases.js';

const run = promisify(execFile);
const MONITORING = fileURLToPath(new URL('../../docs/monitoring/', import.meta.url));

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** A Prometheus of the test's own, scraping the given targets every second, with the rules. */
async function startPrometheus(targets: { api: string; worker: string }) {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-'));
  const port = await freePort();
  await writeFile(
    join(dir, 'prometheus.yml'),
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(MONITORING, 'alerts.yml')],
      scrape_configs: [
        { job_name: 'api', static_configs: [{ targets: [targets.api] }] },
        { job_name: 'worker', static_configs: [{ targets: [targets.worker] }] },
      ],
    }),
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    () =>
      fetch(`${url}/-/ready`).then(
        (response) => response.ok,
        () => false,
      ),
    (ready) => ready,
    { timeoutMs: 20_000, what: 'Prometheus to be ready' },
  );
  return {
    url,
    async query(expr: string): Promise<unknown[]> {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; data?: { result: unknown[] } };
      expect(body.status, expr).to.equal('success');
      return body.data?.result ?? [];
    },
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [
    ...(panel.type === 'row' ? [] : [panel]),
    ...panelsOf(panel.panels ?? []),
  ]);
}

describe('monitoring with a real Prometheus (Debian prometheus and promtool)', function () {
  this.timeout(120_000);

  it('when the alert rules are checked and their unit tests run with promtool, then both pass', async () => {
    const checked = await run('promtool', ['check', 'rules', join(MONITORING, 'alerts.yml')]);
    expect(checked.stdout).to.include('SUCCESS: 9 rules found');
    const tested = await run('promtool', ['test', 'rules', join(MONITORING, 'alerts.test.yml')]);
    expect(tested.stdout).to.include('SUCCESS');
    for (const config of ['prometheus.yml', 'prometheus.local.yml'])
      await run('promtool', ['check', 'config', '--syntax-only', join(MONITORING, config)]);
  });

  describe('the dashboard against the API and the worker under a short load', () => {
    const env = isolatedEnvironment('test_prometheus');
    const admin = { user: 'ops', password: 'an operator password for this test' };
    let events: OrderEventListeners;
    let api: RunningProcess;
    let worker: RunningProcess;
    let apiUrl: string;
    let prometheus: Awaited<ReturnType<typeof startPrometheus>>;

    before(async () => {
      // Bound, so the failed orders' events leave the outbox and one of them can be re-driven.
      events = await listenForOrderEvents(services.rabbitmqUrl, env.ORDERS_EXCHANGE);
      api = startProcess('api', {
        ...env,
        PORT: '0',
        OPS_PORT: '0',
        ADMIN_USER: admin.user,
        ADMIN_PASSWORD: admin.password,
      });
      worker = startProcess('worker', { ...env, WORKER_PORT: '0' });
      const [apiListening, workerStarted] = await Promise.all([
        api.waitForLog((line) => line.msg === 'api listening'),
        worker.waitForLog((line) => line.msg === 'worker started'),
      ]);
      apiUrl = `http://127.0.0.1:${String(apiListening.port)}`;
      prometheus = await startPrometheus({
        api: `127.0.0.1:${String(apiListening.opsPort)}`,
        worker: `127.0.0.1:${String(workerStarted.port)}`,
      });
    });
    after(async () => {
      await Promise.allSettled([api.stop(), worker.stop(), prometheus.stop(), events.close()]);
    });

    it('when every panel query of the dashboard is evaluated by Prometheus, then each panel has at least one series', async () => {
      const post = (product_code: string) =>
        fetch(`${apiUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: '7c11e1ce2741', product_code }),
        }).then((response) => response.json() as Promise<{ id: string }>);
      // Confirmed ones, failed ones (the product does not exist) and a refused request.
      const orders = await Promise.all([
        ...Array.from({ length: 10 }, () => post('classic-box')),
        ...Array.from({ length: 3 }, () => post('no-such-box')),
      ]);
      await fetch(`${apiUrl}/orders`, { method: 'POST', body: 'not json' });
      for (const { id } of orders) {
        await eventually(
          () =>
            fetch(`${apiUrl}/orders/${id}`, { headers: { prefer: 'wait=10' } }).then(
              (response) => response.json() as Promise<{ status: string }>,
            ),
          (order) => order.status !== 'PENDING',
          { timeoutMs: 30_000, what: `order ${id} to be final` },
        );
      }
      // An operator re-drives a failed one once its failed_order is out.
      const failed = orders.at(-1)?.id ?? '';
      await eventually(
        () => Promise.resolve(eventsAbout(events.failed, failed)),
        (found) => found.length === 1,
        { timeoutMs: 20_000, what: 'the failed_order to be published' },
      );
      await eventually(
        () =>
          fetch(`${apiUrl}/admin/orders/${failed}/retry`, {
            method: 'POST',
            headers: {
              authorization: `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`,
            },
          }).then((response) => response.status),
        (status) => status === 202,
        { timeoutMs: 10_000, what: 'the re-drive to be taken' },
      );
      // Every rate needs two samples taken after the last change: both targets scraped three
      // times since the moment of that change.
      const changedAt = Date.now();
      const scrapesSinceChange = () =>
        prometheus.query(
          `count_over_time(up{job=~"api|worker"}[${String(Math.max(1, Math.ceil((Date.now() - changedAt) / 1000)))}s])`,
        );
      await eventually(
        scrapesSinceChange,
        (counts) =>
          counts.length === 2 &&
          counts.every((count) => Number((count as { value: [number, string] }).value[1]) >= 3),
        { timeoutMs: 20_000, what: 'both targets scraped three times since the last change' },
      );

      const dashboard = JSON.parse(
        await readFile(join(MONITORING, 'grafana/dashboards/order-service.json'), 'utf8'),
      ) as { panels: Panel[] };
      const empty: string[] = [];
      const panels = panelsOf(dashboard.panels);
      for (const panel of panels) {
        let series = 0;
        for (const { expr } of panel.targets ?? [])
          series += (await prometheus.query(expr.replaceAll('$__rate_interval', '1m'))).length;
        if (series === 0) empty.push(panel.title);
      }
      expect(panels.length, 'panels read').to.be.greaterThan(20);
      expect(empty, 'panels whose queries return no series').to.deep.equal([]);
    });
  });
});
