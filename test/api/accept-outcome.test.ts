import { expect } from 'chai';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { apiEnvironment, postOrder, startApi, type ApiUnderTest } from '../support/api-server.js';
import { dropRunData } from '../support/run-data.js';
import { services, uniqueName } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * The store takes a write and then goes silent (a frozen server, a partition after the request
 * left): the API cannot know whether the order was stored. It must not answer "not stored"
 * for an order that then exists and is processed.
 */
describe('an order whose insert the store does not answer (real MongoDB-protocol server behind a proxy)', function () {
  this.timeout(40_000);
  const database = uniqueName('test_outcome');
  const queueName = uniqueName('test_outcome');
  let proxy: TcpProxy;
  let api: ApiUnderTest;
  let mongo: MongoConnection;

  before(async () => {
    const { hostname, port } = new URL(services.mongoUrl);
    proxy = await startTcpProxy({ host: hostname, port: Number(port || 27017) });
    api = await startApi(
      apiEnvironment({ database, queueName }, { MONGO_URL: proxy.url('mongodb') }),
    );
    mongo = createMongoConnection({ url: services.mongoUrl, database, timeoutMs: 2000 });
  });
  after(async () => {
    await proxy.restore();
    await api.close();
    await proxy.close();
    await mongo.client.close();
    await dropRunData({ database, queueName });
  });

  it('when the store applies the insert but its answer never comes, then the 503 names the order id, and GET finds the stored order once the store answers', async () => {
    // Warm the connection pool, so the insert goes out on a connection the freeze holds.
    const warm = await postOrder(
      api.url,
      JSON.stringify({ user_id: 'ada', product_code: 'classic-box' }),
    );
    expect(warm.status).to.equal(202);
    await proxy.freezeAnswers();
    const response = await postOrder(
      api.url,
      JSON.stringify({ user_id: 'ada', product_code: 'classic-box' }),
    );
    expect(response.status).to.equal(503);
    expect(response.headers.get('retry-after')).to.equal('5');
    const problem = (await response.json()) as { type: string; order_id?: string; detail: string };
    expect(problem.type).to.equal('/problems/store-unavailable');
    expect(problem.order_id, 'the id of the order that may be stored').to.be.a('string');
    const id = problem.order_id ?? '';
    expect(problem.detail).to.contain(`GET /orders/${id}`);

    const stored = await mongo.db.collection('orders').findOne({ _id: id as never });
    expect(stored?.status, 'the store applied the write it never confirmed').to.equal('PENDING');
    await proxy.restore();
    const read = await fetch(`${api.url}/orders/${id}`);
    expect(read.status).to.equal(200);
    expect(((await read.json()) as { id: string }).id).to.equal(id);
  });
});
