import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { API_VARIABLES, WORKER_VARIABLES } from '../../src/shared/config/config.js';

const read = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

interface Documented {
  name: string;
  /** undefined: documented as unset. */
  value: string | undefined;
  usedBy?: string;
}

/** Rows of the configuration table (docs/configuration.md). */
function documentedTable(): Documented[] {
  return [
    ...read('docs/configuration.md').matchAll(/^\| `([A-Z0-9_]+)` +\| ([^|]+?) +\| (\w+) +\|/gm),
  ].map(([, name = '', value = '', usedBy = '']) => ({
    name,
    value: value === '(unset)' ? undefined : value.replace(/^`(.*)`$/, '$1'),
    usedBy,
  }));
}

function envExample(): Documented[] {
  return [...read('.env.example').matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map(
    ([, name = '', value = '']) => ({ name, value: value === '' ? undefined : value }),
  );
}

const schemaOf = (name: string): z.ZodType | undefined =>
  API_VARIABLES[name] ?? WORKER_VARIABLES[name];

function usedBy(name: string): string {
  const api = name in API_VARIABLES;
  const worker = name in WORKER_VARIABLES;
  return api && worker ? 'both' : api ? 'api' : 'worker';
}

/** A documented default is right when the schema reads it as what it uses when unset. */
function expectDefaultMatches({ name, value }: Documented): void {
  const schema = schemaOf(name);
  expect(schema, `${name} is a variable the code reads`).not.to.equal(undefined);
  expect(schema?.parse(value), `${name} documented as ${String(value)}`).to.deep.equal(
    schema?.parse(undefined),
  );
}

describe('configuration documentation', () => {
  const variables = [...new Set([...Object.keys(API_VARIABLES), ...Object.keys(WORKER_VARIABLES)])];

  it("when the configuration table is read, then it lists every variable once, with the code's default and the processes that read it", () => {
    const rows = documentedTable();
    expect(rows.map((row) => row.name)).to.have.members(variables);
    for (const row of rows) {
      expectDefaultMatches(row);
      expect(row.usedBy, row.name).to.equal(usedBy(row.name));
    }
  });

  it('when .env.example is read, then it sets every variable once, to its default', () => {
    // Its last section is compose's own (test/unit/compose-environment.test.ts checks it).
    const entries = envExample().filter((entry) => variables.includes(entry.name));
    expect(entries.map((entry) => entry.name)).to.have.members(variables);
    for (const entry of entries) expectDefaultMatches(entry);
  });
});
