import { expect } from 'chai';
import {
  createMongoConnection,
  type MongoConnection,
} from '../../src/shared/persistence/mongo-connection.js';
import { services, uniqueName } from '../support/services.js';

describe('MongoDB connection write concern (real MongoDB-protocol server)', () => {
  const opened: MongoConnection[] = [];
  const connect = (url: string) => {
    const connection = createMongoConnection({
      url,
      database: uniqueName('test_write_concern'),
      timeoutMs: 2000,
    });
    opened.push(connection);
    return connection;
  };
  after(async () => {
    for (const { db, client } of opened) {
      await db.dropDatabase();
      await client.close();
    }
  });

  it('when the URL sets no write concern, then writes wait for the journal and a majority, and the server accepts them', async () => {
    const { db } = connect(services.mongoUrl);
    expect(db.writeConcern).to.deep.include({ w: 'majority', journal: true });
    const orders = db.collection<{ _id: string; status: string }>('orders');
    await orders.insertOne({ _id: 'a', status: 'PENDING' });
    const result = await orders.bulkWrite(
      [{ updateMany: { filter: { _id: 'a' }, update: { $set: { status: 'CONFIRMED' } } } }],
      { ordered: false },
    );
    expect(result.matchedCount).to.equal(1);
    expect(await orders.findOne({ _id: 'a' })).to.deep.equal({ _id: 'a', status: 'CONFIRMED' });
  });

  it('when the URL sets its own write concern, then it is the one used', () => {
    const separator = services.mongoUrl.includes('?') ? '&' : '?';
    const { db } = connect(`${services.mongoUrl}${separator}w=1&journal=false`);
    expect(db.writeConcern).to.deep.include({ w: 1, journal: false });
  });
});
