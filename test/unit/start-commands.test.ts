import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const read = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

describe('how the processes are started', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

  it('when compose and the image start the API or the worker, then they pass the same node flags as npm start', () => {
    const compose = read('docker-compose.yml');
    for (const name of ['api', 'worker']) {
      const script = scripts[`start:${name}`] ?? '';
      expect(script, name).to.match(/^node --max-old-space-size=\d+ dist\/\w+\/main\.js$/);
      const inCompose = `command: [${script
        .split(' ')
        .map((part) => `'${part}'`)
        .join(', ')}]`;
      expect(compose, `compose ${name}`).to.contain(inCompose);
    }
    const apiArgs = (scripts['start:api'] ?? '').split(' ').map((part) => `"${part}"`);
    expect(read('Dockerfile')).to.contain(`CMD [${apiArgs.join(', ')}]`);
  });
});
