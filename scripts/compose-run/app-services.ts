/**
 * The services built from the Dockerfile (api, worker): each runs its command as compose
 * resolves it, in the image's working directory (the temporary build), with the image's ENV
 * under compose's `environment`, as the image's user (or `nobody` when this machine has no such
 * user), and its published port reachable where compose publishes it.
 */
import type { Cleanup } from './cleanup.js';
import type { ComposeService } from './compose-config.js';
import type { RuntimeStage } from './image-build.js';
import { startProcess, type Started } from './processes.js';
import { canConnect, forwardTcp } from './tcp-forward.js';

/** The PATH of the node images (node itself is found on it here too). */
export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface AppRun {
  command: string[];
  env: Record<string, string>;
  cwd: string;
  uid: number;
  gid: number;
}

export function appRun(
  service: ComposeService,
  stage: RuntimeStage,
  appDir: string,
  user: { uid: number; gid: number },
): AppRun {
  const workdir = service.working_dir ?? stage.workdir;
  if (workdir !== stage.workdir)
    throw new Error(`working_dir ${workdir} is not the image's WORKDIR ${stage.workdir}`);
  const command = [...(service.entrypoint ?? []), ...(service.command ?? [])];
  if (command.length === 0) throw new Error('no command: the run needs compose to name it');
  const env: Record<string, string> = { PATH: IMAGE_PATH, HOME: '/home/node', ...stage.env };
  for (const [name, value] of Object.entries(service.environment ?? {})) {
    if (value !== null) env[name] = value;
  }
  return { command, env, cwd: appDir, uid: user.uid, gid: user.gid };
}

/** The ports a service's process will listen on (its PORT, OPS_PORT, WORKER_PORT). */
export function listeningPorts(run: AppRun): number[] {
  return ['PORT', 'OPS_PORT', 'WORKER_PORT']
    .map((name) => Number(run.env[name] ?? NaN))
    .filter((port) => Number.isInteger(port) && port > 0);
}

export async function startAppService(
  name: string,
  run: AppRun,
  logDir: string,
  cleanup: Cleanup,
): Promise<Started> {
  for (const port of listeningPorts(run)) {
    if (await canConnect('127.0.0.1', port))
      throw new Error(`${name}: port ${String(port)} is already taken on this machine`);
  }
  return startProcess(
    { name, command: run.command, cwd: run.cwd, env: run.env, logDir, uid: run.uid, gid: run.gid },
    cleanup,
  );
}

/**
 * Where compose publishes the service's ports. The app listens on every address, so a port
 * published under its own number is served by the process itself; another number gets a
 * forwarder to the service's address.
 */
export async function publishPorts(
  service: ComposeService,
  address: string,
  cleanup: Cleanup,
): Promise<string[]> {
  const notes: string[] = [];
  for (const spec of service.ports ?? []) {
    const match = /^(?:(\[?[\d.:a-f]+\]?):)?(\d+):(\d+)(?:\/tcp)?$/.exec(spec);
    if (match === null) throw new Error(`unsupported port spec ${spec}`);
    const hostIp = match[1] ?? '0.0.0.0';
    const hostPort = Number(match[2]);
    const containerPort = Number(match[3]);
    if (hostPort === containerPort) {
      notes.push(`${spec}: served by the process itself (it listens on every address)`);
    } else {
      await forwardTcp(
        { host: hostIp, port: hostPort },
        { host: address, port: containerPort },
        cleanup,
      );
      notes.push(`${spec}: forwarded to ${address}:${String(containerPort)}`);
    }
  }
  return notes;
}

/**
 * Whether the process's `--import` module (tracing) loads with tracing on, as compose runs it
 * when `.env` leaves OTEL_EXPORTER_OTLP_ENDPOINT unset: its SDK is imported only then, so a
 * dependency missing under --omit=dev would not show in a run with tracing off.
 */
export function tracingProbe(run: AppRun, endpoint: string): string[] | undefined {
  const at = run.command.indexOf('--import');
  const module = run.command[at + 1];
  if (at < 0 || module === undefined) return undefined;
  return [
    ...run.command.slice(0, at),
    '--import',
    module,
    '-e',
    `void ${JSON.stringify(endpoint)}`,
  ];
}

/** The warnings and errors a service logged (pino JSON lines at level 40 or more). */
export function loggedProblems(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => {
      try {
        return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 40;
      } catch {
        return line.trim() !== '';
      }
    })
    .map((line) => (line.length > 300 ? `${line.slice(0, 297)}...` : line));
}
