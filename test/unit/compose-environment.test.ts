import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { API_VARIABLES, WORKER_VARIABLES } from '../../src/shared/config/config.js';

const read = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

const COMPOSE_TEXT = read('docker-compose.yml');
// merge: the `<<: *app-env` keys are expanded, so the shared environment counts for both.
const compose = parse(COMPOSE_TEXT, { merge: true }) as {
  services: Record<string, { environment?: Record<string, string> }>;
};

/** What compose takes from `.env` (or the shell): every `${NAME…}` in the file. */
const composeReads = new Set([...COMPOSE_TEXT.matchAll(/\$\{(\w+)/g)].map(([, name = '']) => name));
const envExample = [...read('.env.example').matchAll(/^([A-Z0-9_]+)=/gm)].map(
  ([, name = '']) => name,
);
const processes: Record<string, Readonly<Record<string, z.ZodType>>> = {
  api: API_VARIABLES,
  worker: WORKER_VARIABLES,
};
const readByProcess = (name: string) => name in API_VARIABLES || name in WORKER_VARIABLES;

/** What wires a process to compose's own stack: compose sets it, whatever `.env` says. */
const FIXED_BY_COMPOSE = new Set([
  'PORT',
  'OPS_PORT',
  'WORKER_PORT',
  'MONGO_URL',
  'REDIS_URL',
  'RABBITMQ_URL',
  'ORDERS_EXCHANGE',
  'USER_SERVICE_URL',
  'PRODUCT_SERVICE_URL',
  'LOG_FORMAT',
  'SHUTDOWN_GRACE_MS',
]);

describe('.env, the compose file and the configuration', () => {
  it('when .env.example is read, then each of its variables is read by compose or by a process', () => {
    const unread = envExample.filter((name) => !composeReads.has(name) && !readByProcess(name));
    expect(unread).to.deep.equal([]);
  });

  it('when compose reads a variable, then .env.example lists it', () => {
    expect([...composeReads].filter((name) => !envExample.includes(name))).to.deep.equal([]);
  });

  it('when compose passes a variable to the API or the worker, then that process reads it', () => {
    for (const [service, variables] of Object.entries(processes)) {
      const passed = Object.keys(compose.services[service]?.environment ?? {});
      expect(
        passed.filter((name) => !(name in variables)),
        service,
      ).to.deep.equal([]);
    }
  });

  it('when a process reads a setting, then compose passes it on from .env under its own name, unless it wires the process to the stack', () => {
    for (const [service, variables] of Object.entries(processes)) {
      const environment = compose.services[service]?.environment ?? {};
      for (const name of Object.keys(variables)) {
        const value = environment[name];
        expect(value, `${service}: ${name} is passed`).to.be.a('string');
        const fromEnv = new RegExp(`^\\$\\{${name}(:?-|:\\?|\\})`).test(value ?? '');
        expect(fromEnv, `${service}: ${name}=${String(value)}`).to.equal(
          !FIXED_BY_COMPOSE.has(name),
        );
      }
    }
  });
});
