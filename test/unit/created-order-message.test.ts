import { expect } from 'chai';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import { orderDetailsFrom } from '../../src/shared/domain/order-details.js';

describe('created_order event', () => {
  it('when an order is confirmed, then its event has exactly the seed message schema', () => {
    const details = orderDetailsFrom(
      { firstName: 'Ada', lastName: 'Lovelace' },
      { name: 'Classic Box', price: 9.99 },
    );
    const event = createdOrderEvent(
      {
        id: 'order-1',
        created_at: new Date('2026-01-01T10:00:00.000Z'),
        request_id: 'request-1',
      },
      details,
      {
        messageId: 'message-1',
        producer: 'order-service',
        now: new Date('2026-01-01T10:00:01.500Z'),
        leaseMs: 30_000,
      },
    );
    expect(event).to.deep.equal({
      message_id: 'message-1',
      routing_key: 'created_order',
      correlation_id: 'request-1',
      published_at: null,
      lease: { generation: 1, expires_at: new Date('2026-01-01T10:00:31.500Z') },
      message: {
        producer: 'order-service',
        sent_at: '2026-01-01T10:00:01.500Z',
        type: 'created_order',
        payload: {
          order: {
            order_id: 'order-1',
            customer_fullname: 'Ada Lovelace',
            product_name: 'Classic Box',
            total_amount: 9.99,
            created_at: '2026-01-01T10:00:00.000Z',
          },
        },
      },
    });
  });
});
