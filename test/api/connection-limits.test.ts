import { expect } from 'chai';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { postOrder } from '../support/api-server.js';
import { useApi } from '../support/api-fixture.js';

describe('connection limits of the real API (HTTP_MAX_CONNECTIONS at its default, 5,000)', () => {
  const fixture = useApi('test_connection_limits');

  it('when 5,000 connections are open and send nothing, then a POST and a read from a new connection are answered', async function () {
    this.timeout(60_000);
    const { hostname, port } = new URL(fixture.api.url);
    const silent: Socket[] = [];
    try {
      // In batches, so the listen backlog never overflows and every one is accepted.
      for (let batch = 0; batch < 10; batch++) {
        const opened = Array.from({ length: 500 }, async () => {
          const socket = connect(Number(port), hostname);
          socket.on('error', () => undefined);
          silent.push(socket);
          await once(socket, 'connect');
        });
        await Promise.all(opened);
      }
      expect(silent.filter((socket) => !socket.destroyed)).to.have.length(5000);

      const response = await postOrder(
        fixture.api.url,
        JSON.stringify({ user_id: '7c11e1ce2741', product_code: 'classic-box' }),
      );
      expect(response.status, 'a POST beside 5,000 silent connections').to.equal(202);
      const { id } = (await response.json()) as { id: string };
      expect((await fetch(`${fixture.api.url}/orders/${id}`)).status, 'and a read').to.equal(200);
    } finally {
      silent.forEach((socket) => socket.destroy());
    }
  });
});
