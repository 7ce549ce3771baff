import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  /** Every JSON log line the process wrote so far. */
  logs: Record<string, unknown>[];
  waitForLog(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** What the process wrote to stderr so far (crashes, fatal errors). */
  stderr(): string;
}

/** The node arguments of package.json's `start:<name>` script: what users run. */
export function startArguments(name: 'api' | 'worker'): string[] {
  const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = (manifest.scripts[`start:${name}`] ?? '').split(/\s+/);
  if (command !== 'node') throw new Error(`start:${name} does not run node directly`);
  return args;
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
export async function peakRssMb(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${String(child.pid)}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/**
 * Runs `src/<name>/main.ts` as its own process, the way `npm start` runs the build; or, when
 * `built`, the build itself with `npm start`'s arguments (its heap cap among them: tsx's own
 * heap would leave a capped process too little room).
 */
export function startProcess(
  name: 'api' | 'worker',
  env: Record<string, string>,
  { built = false } = {},
): RunningProcess {
  const args = built
    ? startArguments(name)
    : ['--import', 'tsx', '--import', `./src/${name}/tracing.ts`, `src/${name}/main.ts`];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const wake of waiters) wake();
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });

  return {
    name,
    child,
    logs,
    waitForLog(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find(predicate);
          if (found !== undefined) {
            finish();
            resolve(found);
          }
        };
        const onExit = () => {
          finish();
          reject(new Error(`${name} exited before the expected log line:\n${stderr}`));
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(`${name} did not log the expected line within ${timeoutMs} ms:\n${stderr}`),
          );
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
