import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const read = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

describe('how the processes are started', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, { command?: string[] }>;
  };

  it('when compose and the image start the API or the worker, then they pass the same node flags as npm start', () => {
    for (const name of ['api', 'worker']) {
      const script = scripts[`start:${name}`] ?? '';
      // The heap cap, and the tracing bootstrap loaded before the process's own modules.
      expect(script, name).to.match(
        /^node --max-old-space-size=\d+ --import \.\/dist\/(\w+)\/tracing\.js dist\/\1\/main\.js$/,
      );
      expect(compose.services[name]?.command, `compose ${name}`).to.deep.equal(script.split(' '));
    }
    const apiArgs = (scripts['start:api'] ?? '').split(' ').map((part) => `"${part}"`);
    expect(read('Dockerfile')).to.contain(`CMD [${apiArgs.join(', ')}]`);
  });
});
