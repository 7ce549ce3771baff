/**
 * The compose file as `docker-compose config` resolves it, with `.env.example` standing in for
 * the `.env` users write (a copy in a temporary directory: no `.env` is ever written into the
 * repository).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface Healthcheck {
  test: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  healthcheck?: Healthcheck;
  ports?: string[];
  volumes?: string[];
  user?: string;
  working_dir?: string;
  hostname?: string;
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
}

/** docker-compose on the PATH, or in a virtual environment under .services/. */
export function findDockerCompose(repoRoot: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'docker-compose');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  const services = path.join(repoRoot, '.services');
  if (existsSync(services)) {
    for (const entry of readdirSync(services)) {
      const candidate = path.join(services, entry, 'bin', 'docker-compose');
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error('docker-compose not found (npm run services:up installs it)');
}

/**
 * Writes `<dir>/.env` from `.env.example`. A variable the compose file requires (`${VAR:?…}`)
 * that the example leaves empty or out gets a generated value, reported in `generated`.
 */
export function writeEnvFile(repoRoot: string, dir: string): { file: string; generated: string[] } {
  let text = readFileSync(path.join(repoRoot, '.env.example'), 'utf8');
  const compose = readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
  const required = new Set([...compose.matchAll(/\$\{(\w+):\?/g)].map((match) => match[1] ?? ''));
  const generated: string[] = [];
  for (const name of [...required].sort()) {
    const line = new RegExp(`^\\s*${name}=(.*)$`, 'm');
    if ((line.exec(text)?.[1] ?? '').trim() !== '') continue;
    const value = name.endsWith('USER') ? 'compose-run' : randomBytes(16).toString('hex');
    text = line.test(text)
      ? text.replace(line, `${name}=${value}`)
      : `${text.trimEnd()}\n${name}=${value}\n`;
    generated.push(name);
  }
  const file = path.join(dir, '.env');
  writeFileSync(file, text, { mode: 0o600 });
  return { file, generated };
}

/** `docker-compose config` of the repository's compose file with `envFile` as its `.env`. */
export function resolveCompose(repoRoot: string, envFile: string): ComposeConfig {
  const yaml = execFileSync(
    findDockerCompose(repoRoot),
    [
      '--project-directory',
      repoRoot,
      '-f',
      path.join(repoRoot, 'docker-compose.yml'),
      '--env-file',
      envFile,
      'config',
    ],
    // Only the `.env` file speaks: the caller's environment must not override it.
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' } },
  );
  return parse(yaml) as ComposeConfig;
}

/** Milliseconds of a compose duration such as `5s`, `1m30s` or `500ms`. */
export function durationMs(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(match[1]) * (units[match[2] ?? 's'] ?? 1000);
  }
  return total;
}
