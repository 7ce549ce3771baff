/**
 * Compose's healthchecks, run against the processes of the run. Inside a container
 * `localhost` and 127.0.0.1 are the service itself, and a client without a host reaches its own
 * server; here the service is its name's address, so that is what the command is pointed at.
 * Nothing else of the command changes. The result of each is printed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { durationMs, type Healthcheck } from './compose-config.js';
import { runCommand } from './processes.js';

export interface CheckEnvironment {
  address: string;
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  /** node_modules holding the mongodb driver, for the mongosh stand-in. */
  nodeModules: string;
}

export interface CheckResult {
  service: string;
  declared: string[];
  ran: string[];
  healthy: boolean;
  attempts: number;
  seconds: number;
  output: string;
  note?: string;
}

function onPath(command: string, env: Record<string, string>): boolean {
  return (env.PATH ?? process.env.PATH ?? '')
    .split(':')
    .some((dir) => dir !== '' && existsSync(path.join(dir, command)));
}

/** The command a container engine would run, pointed at the service's own address. */
export function adaptCheck(
  test: readonly string[],
  at: CheckEnvironment,
): { command: string[]; note?: string } {
  const [kind, ...rest] = test;
  const declared = kind === 'CMD-SHELL' ? ['sh', '-c', rest.join(' ')] : rest;
  const command = declared.map((arg) =>
    arg.replace(/\/\/(localhost|127\.0\.0\.1)(?=[:/])/g, `//${at.address}`),
  );
  const [program] = command;
  if (program === 'redis-cli' && !command.includes('-h'))
    return { command: ['redis-cli', '-h', at.address, ...command.slice(1)] };
  if (program === 'mongosh') {
    const evalIndex = command.indexOf('--eval');
    if (onPath('mongosh', at.env)) {
      return { command: ['mongosh', '--host', at.address, ...command.slice(1)] };
    }
    // No mongosh here: the same command, by the Node driver, for the one form compose uses.
    const expression = command[evalIndex + 1] ?? '';
    const match = /^db\.adminCommand\('(\w+)'\)\.ok$/.exec(expression);
    if (match === null) return { command, note: 'mongosh is not installed here' };
    const script = [
      `const { MongoClient } = require(${JSON.stringify(path.join(at.nodeModules, 'mongodb'))});`,
      `const client = new MongoClient('mongodb://${at.address}:27017', { serverSelectionTimeoutMS: 4000 });`,
      `client.db('admin').command({ ${match[1] ?? 'ping'}: 1 })`,
      '  .then((answer) => { console.log(answer.ok); return client.close(); })',
      '  .catch((error) => { console.error(error.message); process.exit(1); });',
    ].join('\n');
    return {
      command: ['node', '-e', script],
      note: `mongosh is not installed here: \`${expression}\` run by the Node mongodb driver`,
    };
  }
  return { command };
}

/**
 * Runs the check as compose would (every `interval`, each limited to `timeout`) until it
 * passes, or until `start_period` plus `retries` failed checks have gone by.
 */
export async function waitHealthy(
  service: string,
  check: Healthcheck,
  at: CheckEnvironment,
): Promise<CheckResult> {
  const { command, note } = adaptCheck(check.test, at);
  const timeoutMs = durationMs(check.timeout, 30_000);
  const intervalMs = durationMs(check.interval, 30_000);
  const budgetMs = durationMs(check.start_period, 0) + (check.retries ?? 3) * intervalMs;
  const started = Date.now();
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const result = await runCommand(command, {
      cwd: at.cwd,
      env: at.env,
      timeoutMs,
      ...(at.uid === undefined ? {} : { uid: at.uid }),
      ...(at.gid === undefined ? {} : { gid: at.gid }),
    });
    const healthy = result.code === 0;
    const seconds = (Date.now() - started) / 1000;
    if (healthy || Date.now() - started >= budgetMs) {
      return {
        service,
        declared: check.test,
        ran: command,
        healthy,
        attempts,
        seconds,
        output: result.timedOut ? `timed out after ${String(timeoutMs)} ms` : result.output,
        ...(note === undefined ? {} : { note }),
      };
    }
    // Checked every second rather than every `interval`: only the wait gets shorter.
    await sleep(Math.min(intervalMs, 1000));
  }
}

export function describeCheck(result: CheckResult): string {
  const lines = [
    `healthcheck ${result.service}: ${result.healthy ? 'HEALTHY' : 'UNHEALTHY'} ` +
      `(attempt ${String(result.attempts)}, ${result.seconds.toFixed(1)} s)`,
    `    declared: ${JSON.stringify(result.declared)}`,
    `    ran:      ${JSON.stringify(result.ran.map((arg) => (arg.length > 120 ? `${arg.slice(0, 117)}...` : arg)))}`,
  ];
  if (result.note !== undefined) lines.push(`    note:     ${result.note}`);
  if (result.output !== '')
    lines.push(`    output:   ${result.output.split('\n').slice(-3).join(' | ')}`);
  return lines.join('\n');
}
