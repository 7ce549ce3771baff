import { expect } from 'chai';
import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Client } from 'undici';
import { createLimitedServer, type ServerLimits } from '../../src/api/http/server-limits.js';
import { shedLoad } from '../../src/api/http/shed-load.js';

async function listening(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

async function closed(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A limited server behind shedLoad (100 in flight) that answers every request at once. */
async function answeringOk(limits: ServerLimits): Promise<{ server: Server; url: string }> {
  const { server, overConnectionCap } = createLimitedServer(limits);
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
  return { server, url: await listening(server) };
}

describe('load shedding before the framework', () => {
  it('when reads fill their share of the requests in flight, then the next read is answered 503 at once while writes still pass, and once reads end they pass again', async () => {
    const release: (() => void)[] = [];
    let shed = 0;
    // 4 in flight at most: reads may hold 3 of them, the last is for writes.
    const { server } = createLimitedServer({ maxConnections: 100 });
    server.on(
      'request',
      shedLoad(
        (_request, response) =>
          new Promise<void>((resolve) => {
            release.push(() => {
              response.end('ok');
              resolve();
            });
          }),
        { maxInFlight: 4 },
        () => shed++,
      ),
    );
    const url = await listening(server);
    try {
      const heldReads = [fetch(url), fetch(url), fetch(url)];
      while (release.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));

      const refused = await fetch(url);
      expect(refused.status).to.equal(503);
      expect(refused.headers.get('content-type')).to.equal('application/problem+json');
      expect(refused.headers.get('retry-after')).to.equal('1');
      expect(((await refused.json()) as { type: string }).type).to.equal('/problems/overloaded');
      expect(shed).to.equal(1);

      const write = fetch(url, { method: 'POST', body: '{}' });
      while (release.length < 4) await new Promise((resolve) => setTimeout(resolve, 10));
      const writePastAll = await fetch(url, { method: 'POST', body: '{}' });
      expect(writePastAll.status, 'a write past maxInFlight').to.equal(503);

      for (const done of release.splice(0)) done();
      expect((await Promise.all([...heldReads, write])).map((r) => r.status)).to.deep.equal([
        200, 200, 200, 200,
      ]);
      const again = fetch(url);
      while (release.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      release.splice(0).forEach((done) => {
        done();
      });
      expect((await again).status).to.equal(200);
    } finally {
      await closed(server);
    }
  });

  it('when hundreds of reads arrive in one event-loop turn, then a write that arrives with them is handed to the app after at most 16 of them, and every read is handed over in later turns', async () => {
    const handed: string[] = [];
    const listener = shedLoad(
      (request) => {
        handed.push(request.method ?? '');
        return Promise.resolve();
      },
      { maxInFlight: 1000 },
    );
    const arrive = (method: string) => {
      const response = Object.assign(new EventEmitter(), { destroyed: false });
      const request = Object.assign(new EventEmitter(), { method });
      listener(request as unknown as IncomingMessage, response as unknown as ServerResponse);
    };
    for (let i = 0; i < 300; i++) arrive('GET');
    arrive('POST');
    while (handed.length < 301) await new Promise((resolve) => setImmediate(resolve));

    expect(handed.indexOf('POST'), 'reads handed over before the write').to.equal(16);
    expect(handed.filter((method) => method === 'GET')).to.have.length(300);
  });

  it('when a connection opens past the connection cap, then its reads get an HTTP answer, 503 with Connection: close, its writes are served, and connections under the cap keep working', async () => {
    const { server, url } = await answeringOk({ maxConnections: 1 });
    const first = new Client(url);
    const second = new Client(url);
    const third = new Client(url);
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
      const write = await third.request({ method: 'POST', path: '/', body: '{}' });
      expect(write.statusCode, 'a write on a connection past the cap').to.equal(200);
      await write.body.text();
      const again = await first.request({ method: 'GET', path: '/' });
      expect(again.statusCode, 'the connection under the cap').to.equal(200);
      await again.body.text();
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
      await closed(server);
    }
  });

  it('when connections send nothing, then they take no place under the cap and are closed once the headers time is over', async () => {
    // Cap 2; Node itself would drop connections only past 6.
    const { server, url } = await answeringOk({ maxConnections: 2, headersTimeoutMs: 500 });
    const { port } = server.address() as AddressInfo;
    const silent: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.resume(); // reads what the server says, so its close is seen
      silent.push(socket);
    }
    const client = new Client(url);
    try {
      const read = await client.request({ method: 'GET', path: '/' });
      expect(read.statusCode, 'a read beside three silent connections, cap 2').to.equal(200);
      await read.body.text();
      const started = Date.now();
      await Promise.all(silent.map((socket) => once(socket, 'close')));
      expect(Date.now() - started, 'closed by the server within (ms)').to.be.below(3000);
    } finally {
      silent.forEach((socket) => socket.destroy());
      await client.close();
      await closed(server);
    }
  });
});
