/**
 * The backing services of the compose file, served on their compose names' addresses and the
 * ports their images listen on: an extra Redis, an extra FerretDB (the MongoDB stand-in, on a
 * PostgreSQL database of its own), two extra WireMocks, and the machine's RabbitMQ with the
 * `.env` user. Each image's command is run as compose resolves it, plus only what the
 * container network would give it (the address to listen on) and its volumes' host paths.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup.js';
import type { ComposeService } from './compose-config.js';
import { startProcess } from './processes.js';
import { canConnect, forwardTcp } from './tcp-forward.js';

export interface RunContext {
  repoRoot: string;
  tmpDir: string;
  logDir: string;
  cleanup: Cleanup;
}

const SBIN_PATH = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin`;

/** The host directory compose mounts at `target` for this service. */
function volumeSource(service: ComposeService, target: string): string | undefined {
  for (const volume of service.volumes ?? []) {
    const [source, mountedAt] = volume.split(':');
    if (mountedAt === target && source !== undefined && source.startsWith('/')) return source;
  }
  return undefined;
}

/** The command line of the process listening on 127.0.0.1:<port> (one of services-up's). */
function listenerCommandLine(port: number): string[] {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${String(port)}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (pid === undefined)
    throw new Error(`nothing listens on port ${String(port)}: run npm run services:up`);
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

export function startRedis(service: ComposeService, address: string, ctx: RunContext): string[] {
  const dataDir = path.join(ctx.tmpDir, 'volumes', 'redis-data'); // the image's WORKDIR /data
  mkdirSync(dataDir, { recursive: true });
  const command = [...(service.command ?? ['redis-server']), '--bind', address, '--port', '6379'];
  startProcess(
    { name: 'redis', command, cwd: dataDir, env: { PATH: SBIN_PATH }, logDir: ctx.logDir },
    ctx.cleanup,
  );
  return command;
}

function psql(url: URL, sql: string): void {
  const candidates = [
    'psql',
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort()
          .reverse()
          .map((version) => `/usr/lib/postgresql/${version}/bin/psql`)
      : []),
  ];
  const bin =
    candidates.find((candidate) => candidate.startsWith('/') && existsSync(candidate)) ?? 'psql';
  execFileSync(
    bin,
    [
      '-h',
      url.hostname,
      '-p',
      url.port,
      '-U',
      decodeURIComponent(url.username),
      '-d',
      'postgres',
      '-qtA',
      '-c',
      sql,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/**
 * FerretDB, as services-up runs it (same binary, same PostgreSQL), but on the `mongo` name's
 * address and a PostgreSQL database of its own, dropped at the end: compose's fresh volume.
 */
export function startMongoStandIn(address: string, ctx: RunContext): string[] {
  const standard = listenerCommandLine(27017);
  const binary = standard[0] ?? '';
  const pgFlag = standard.find((arg) => arg.startsWith('--postgresql-url='));
  if (!binary.includes('ferretdb') || pgFlag === undefined)
    throw new Error(
      `the process on 127.0.0.1:27017 is not FerretDB on PostgreSQL: ${standard.join(' ')}`,
    );
  const url = new URL(pgFlag.slice('--postgresql-url='.length));
  const database = 'order_service_compose_run';
  psql(url, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  psql(url, `CREATE DATABASE ${database}`);
  ctx.cleanup.add('dropping the compose run database', () => {
    psql(url, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });
  url.pathname = `/${database}`;
  const stateDir = path.join(ctx.tmpDir, 'volumes', 'ferretdb-state');
  mkdirSync(stateDir, { recursive: true });
  const command = [
    binary,
    '--handler=postgresql',
    `--postgresql-url=${url.toString()}`,
    `--listen-addr=${address}:27017`,
    `--debug-addr=${address}:8089`,
    '--telemetry=disable',
    `--state-dir=${stateDir}`,
  ];
  startProcess(
    { name: 'mongo', command, cwd: stateDir, env: { PATH: SBIN_PATH }, logDir: ctx.logDir },
    ctx.cleanup,
  );
  return command;
}

/**
 * The wiremock/wiremock image runs `java … wiremock.Run <command>` in /home/wiremock (its root
 * directory, where compose mounts the stubs), on port 8080.
 */
export function startWireMock(
  name: string,
  service: ComposeService,
  address: string,
  ctx: RunContext,
): string[] {
  const root = volumeSource(service, '/home/wiremock');
  if (root === undefined) throw new Error(`${name}: no volume mounted at /home/wiremock`);
  const build = path.join(ctx.repoRoot, 'node_modules', 'wiremock', 'build');
  const jar = readdirSync(build).find((file) => /^wiremock-standalone-.*\.jar$/.test(file));
  if (jar === undefined) throw new Error(`no WireMock jar in ${build}`);
  const command = [
    'java',
    '-jar',
    path.join(build, jar),
    ...(service.command ?? []),
    '--bind-address',
    address,
  ];
  startProcess(
    { name, command, cwd: root, env: { PATH: SBIN_PATH }, logDir: ctx.logDir },
    ctx.cleanup,
  );
  return command;
}

function rabbitmqctl(...args: string[]): string {
  return execFileSync('rabbitmqctl', ['-q', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: SBIN_PATH },
  });
}

/**
 * The machine's RabbitMQ on the `rabbitmq` name: its AMQP listener takes every address (or a
 * forwarder gives it this one), and the `.env` user is added (administrator on `/`, as the
 * image's RABBITMQ_DEFAULT_USER is) for the run. The management API, which the
 * rabbitmq-queues one-shot needs, is turned on for the run when it is off, listening on the
 * name's address only.
 */
export async function prepareRabbitMq(
  service: ComposeService,
  address: string,
  ctx: RunContext,
  /** The user is the run's own (generated): one a crashed run left behind is replaced. */
  ownUser: boolean,
): Promise<string[]> {
  const notes: string[] = [];
  if (await canConnect(address, 5672)) {
    notes.push(
      `AMQP ${address}:5672 is served by the machine's RabbitMQ (it listens on every address)`,
    );
  } else {
    await forwardTcp({ host: address, port: 5672 }, { host: '127.0.0.1', port: 5672 }, ctx.cleanup);
    notes.push(`AMQP ${address}:5672 forwarded to 127.0.0.1:5672 by a Node TCP forwarder`);
  }

  const user = service.environment?.RABBITMQ_DEFAULT_USER ?? '';
  const pass = service.environment?.RABBITMQ_DEFAULT_PASS ?? '';
  if (user === '' || pass === '') throw new Error('rabbitmq: RABBITMQ_DEFAULT_USER/PASS not set');
  const users = rabbitmqctl('list_users')
    .split('\n')
    .map((line) => line.split('\t')[0]);
  if (users.includes(user) && ownUser) rabbitmqctl('delete_user', user);
  if (users.includes(user) && !ownUser) {
    rabbitmqctl('authenticate_user', user, pass); // throws when the password differs
    notes.push(`user ${user} already existed with the .env password: used as is`);
  } else {
    rabbitmqctl('add_user', user, pass);
    ctx.cleanup.add(`deleting RabbitMQ user ${user}`, () => {
      rabbitmqctl('delete_user', user);
    });
    rabbitmqctl('set_user_tags', user, 'administrator');
    rabbitmqctl('set_permissions', '-p', '/', user, '.*', '.*', '.*');
    notes.push(`user ${user} added for the run (administrator, all permissions on vhost /)`);
  }

  if (!(await canConnect(address, 15672))) {
    const env = { ...process.env, PATH: SBIN_PATH };
    rabbitmqctl(
      'eval',
      `application:set_env(rabbitmq_management, tcp_config, [{ip, "${address}"}, {port, 15672}]).`,
    );
    execFileSync('rabbitmq-plugins', ['-q', 'enable', 'rabbitmq_management'], {
      env,
      stdio: 'ignore',
    });
    ctx.cleanup.add('turning the RabbitMQ management plugin off again', () => {
      execFileSync('rabbitmq-plugins', ['-q', 'disable', 'rabbitmq_management'], {
        env,
        stdio: 'ignore',
      });
      rabbitmqctl('eval', 'application:unset_env(rabbitmq_management, tcp_config).');
    });
    notes.push(`management plugin turned on for the run, listening on ${address}:15672`);
  }
  return notes;
}

/**
 * Prometheus with compose's command, its volumes' container paths given as their host paths
 * (named volumes: a directory of the run), listening on the `prometheus` name's address.
 */
export function startPrometheus(
  service: ComposeService,
  address: string,
  ctx: RunContext,
  hostPath: (arg: string) => string,
): string[] {
  const command = [
    'prometheus',
    ...(service.command ?? []).map((arg) => {
      const eq = arg.indexOf('=');
      return eq < 0 ? hostPath(arg) : `${arg.slice(0, eq + 1)}${hostPath(arg.slice(eq + 1))}`;
    }),
    `--web.listen-address=${address}:9090`,
  ];
  startProcess(
    { name: 'prometheus', command, cwd: ctx.tmpDir, env: { PATH: SBIN_PATH }, logDir: ctx.logDir },
    ctx.cleanup,
  );
  return command;
}

/** Each scrape target of the Prometheus at `url` with its health, e.g. `api api:3003 up`. */
export async function scrapeTargets(
  url: string,
): Promise<{ job: string; line: string; up: boolean }[]> {
  const response = await fetch(`${url}/api/v1/targets`);
  const body = (await response.json()) as {
    data: {
      activeTargets: {
        labels: { job: string; instance: string };
        health: string;
        lastError: string;
      }[];
    };
  };
  return body.data.activeTargets.map(({ labels, health, lastError }) => ({
    job: labels.job,
    up: health === 'up',
    line: `${labels.job} ${labels.instance} ${health}${lastError === '' ? '' : ` (${lastError})`}`,
  }));
}
