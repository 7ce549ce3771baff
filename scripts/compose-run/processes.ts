/**
 * The processes the compose run starts: each in a process group of its own, its output in a
 * log file, stopped (TERM, then KILL) by the clean-up; and commands run to completion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cleanup } from './cleanup.js';

export interface StartOptions {
  name: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  logDir: string;
  uid?: number;
  gid?: number;
}

export interface Started {
  name: string;
  pid: number;
  logFile: string;
  exited: () => number | null;
  tail: (lines?: number) => string;
}

async function stop(child: ChildProcess, name: string, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const group = -child.pid;
  try {
    process.kill(group, 'SIGTERM');
  } catch {
    return;
  }
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    console.error(`${name} ignored SIGTERM for ${String(graceMs)} ms: killing it`);
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
}

/** Starts a long-running process; the clean-up stops it (its whole process group). */
export function startProcess(options: StartOptions, cleanup: Cleanup, graceMs = 45_000): Started {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const out = openSync(logFile, 'a');
  const [file, ...args] = options.command;
  if (file === undefined) throw new Error(`${options.name}: empty command`);
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', out, out],
    detached: true,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  closeSync(out);
  child.on('error', (error) => {
    console.error(`${options.name}: ${error.message}`);
  });
  if (child.pid === undefined) throw new Error(`${options.name}: could not start ${file}`);
  cleanup.add(`stopping ${options.name} (pid ${String(child.pid)})`, async () => {
    await stop(child, options.name, graceMs);
  });
  return {
    name: options.name,
    pid: child.pid,
    logFile,
    exited: () => child.exitCode ?? (child.signalCode === null ? null : -1),
    tail: (lines = 20) =>
      readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'),
  };
}

export interface RunResult {
  code: number | null;
  output: string;
  timedOut: boolean;
}

/** Runs a command to completion (killed after `timeoutMs`), capturing stdout and stderr. */
export function runCommand(
  command: readonly string[],
  options: {
    cwd?: string;
    env?: Record<string, string>;
    timeoutMs: number;
    uid?: number;
    gid?: number;
  },
): Promise<RunResult> {
  const [file, ...args] = command;
  if (file === undefined) return Promise.reject(new Error('empty command'));
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}${error.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.trim(), timedOut });
    });
  });
}
