import { expect } from 'chai';
import { createdOrderEvent } from '../../src/shared/domain/created-order-message.js';
import { failedOrderEvent } from '../../src/shared/domain/failed-order-message.js';
import { deadlineFailure } from '../../src/shared/domain/order-deadline.js';

const order = {
  id: 'order-1',
  user_id: '7c11e1ce2741',
  product_code: 'veggie-box',
  created_at: new Date('2026-01-01T10:00:00.000Z'),
  request_id: 'request-1',
};
const context = {
  messageId: 'message-1',
  producer: 'order-service',
  now: new Date('2026-01-01T10:00:01.500Z'),
  leaseMs: 30_000,
};

describe('failed_order event', () => {
  it('when an order fails, then its event names the order as asked for and the failure, under the created_order envelope', () => {
    const failure = {
      code: 'PRODUCT_SERVICE_ERROR',
      message: 'the product service answered HTTP 500 for product veggie-box (retries exhausted)',
    };
    expect(failedOrderEvent(order, failure, context)).to.deep.equal({
      message_id: 'message-1',
      routing_key: 'failed_order',
      correlation_id: 'request-1',
      published_at: null,
      lease: { generation: 1, expires_at: new Date('2026-01-01T10:00:31.500Z') },
      message: {
        producer: 'order-service',
        sent_at: '2026-01-01T10:00:01.500Z',
        type: 'failed_order',
        payload: {
          order: {
            order_id: 'order-1',
            user_id: '7c11e1ce2741',
            product_code: 'veggie-box',
            failure_code: 'PRODUCT_SERVICE_ERROR',
            failure_message:
              'the product service answered HTTP 500 for product veggie-box (retries exhausted)',
            created_at: '2026-01-01T10:00:00.000Z',
          },
        },
      },
    });
  });

  it('when an order fails and a created_order is built for comparison, then both share the envelope keys and differ only in type and payload', () => {
    const failed = failedOrderEvent(order, { code: 'X', message: 'x' }, context).message;
    const created = createdOrderEvent(
      order,
      { customer_fullname: 'A B', product_name: 'P', total_amount: 1 },
      context,
    ).message;
    expect(Object.keys(failed)).to.deep.equal(Object.keys(created));
    expect({ ...failed, type: null, payload: null }).to.deep.equal({
      ...created,
      type: null,
      payload: null,
    });
    expect(Object.keys(failed.payload)).to.deep.equal(['order']);
  });

  it('when the order passed its deadline, then the event carries DEADLINE_EXCEEDED and the message the order keeps', () => {
    const failure = deadlineFailure(order, 600_000);
    const { message } = failedOrderEvent(order, failure, context);
    expect(message.payload.order).to.deep.include({
      failure_code: 'DEADLINE_EXCEEDED',
      failure_message: failure.message,
    });
  });

  it('when the settling run is traced, then the event keeps the trace context; when not, then it has none', () => {
    const traced = failedOrderEvent(
      order,
      { code: 'X', message: 'x' },
      { ...context, traceContext: { traceparent: '00-abc-def-01' } },
    );
    expect(traced.trace_context).to.deep.equal({ traceparent: '00-abc-def-01' });
    const untraced = failedOrderEvent(
      order,
      { code: 'X', message: 'x' },
      { ...context, traceContext: {} },
    );
    expect(untraced).not.to.have.property('trace_context');
  });

  it('when the event is left to the relay (a lease of no length), then it is due at once', () => {
    const { lease } = failedOrderEvent(
      order,
      { code: 'X', message: 'x' },
      { ...context, leaseMs: 0 },
    );
    expect(lease).to.deep.equal({ generation: 1, expires_at: context.now });
  });
});
