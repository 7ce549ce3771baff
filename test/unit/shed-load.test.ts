import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { shedLoad } from '../../src/api/http/shed-load.js';

describe('load shedding before the framework', () => {
  it('when the cap of requests in flight is reached, then the next is answered 503 at once, and once they end requests pass again', async () => {
    const release: (() => void)[] = [];
    let shed = 0;
    const server = createServer(
      shedLoad(
        (_request, response) =>
          new Promise<void>((resolve) => {
            release.push(() => {
              response.end('ok');
              resolve();
            });
          }),
        2,
        () => shed++,
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
    try {
      const held = [fetch(url), fetch(url)];
      while (release.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));

      const refused = await fetch(url);
      expect(refused.status).to.equal(503);
      expect(refused.headers.get('content-type')).to.equal('application/problem+json');
      expect(refused.headers.get('retry-after')).to.equal('1');
      expect(((await refused.json()) as { type: string }).type).to.equal('/problems/overloaded');
      expect(shed).to.equal(1);

      for (const done of release.splice(0)) done();
      expect((await Promise.all(held)).map((response) => response.status)).to.deep.equal([
        200, 200,
      ]);
      const again = fetch(url);
      while (release.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      release.splice(0).forEach((done) => {
        done();
      });
      expect((await again).status).to.equal(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
