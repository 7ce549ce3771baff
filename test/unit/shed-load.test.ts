import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'undici';
import { limitServer } from '../../src/api/http/server-limits.js';
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
        { maxInFlight: 2 },
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

  it('when a connection opens past the connection cap, then its request still gets an HTTP answer, 503 with Connection: close, and connections under the cap keep working', async () => {
    const server = createServer();
    const overConnectionCap = limitServer(server, { maxConnections: 1 });
    server.on(
      'request',
      shedLoad(
        (_request, response) => {
          response.end('ok');
          return Promise.resolve();
        },
        { maxInFlight: 100, overConnectionCap },
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    const first = new Client(url);
    const second = new Client(url);
    try {
      const held = await first.request({ method: 'GET', path: '/' });
      expect(held.statusCode).to.equal(200);
      await held.body.text();
      const refused = await second.request({ method: 'GET', path: '/' });
      expect(refused.statusCode).to.equal(503);
      expect(refused.headers.connection).to.equal('close');
      expect(((await refused.body.json()) as { type: string }).type).to.equal(
        '/problems/overloaded',
      );
      const again = await first.request({ method: 'GET', path: '/' });
      expect(again.statusCode, 'the connection under the cap').to.equal(200);
      await again.body.text();
    } finally {
      await Promise.all([first.close(), second.close()]);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
