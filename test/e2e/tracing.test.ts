import { connect } from 'amqplib';
import { expect } from 'chai';
import { parkingQueueOf } from '../../src/shared/messaging/event-publisher.js';
import { eventually } from '../support/eventually.js';
import { listenForEvents, type EventListener } from '../support/event-listener.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../support/otlp-receiver.js';
import { startProcess, type RunningProcess } from '../support/processes.js';
import { dropRunData } from '../support/run-data.js';
import { isolatedEnvironment, services } from '../support/services.js';

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** `00-<trace id>-<parent span id>-<flags>` (W3C Trace Context). */
function parseTraceparent(header: unknown): { traceId: string; spanId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(header));
  if (match === null) throw new Error(`not a traceparent: ${String(header)}`);
  return { traceId: match[1] ?? '', spanId: match[2] ?? '' };
}

/** The trace as an indented tree, parents before children, for the test's output. */
function outline(spans: ReceivedSpan[]): string[] {
  const lines: string[] = [];
  const visit = (parentSpanId: string, depth: number) => {
    for (const span of spans.filter((candidate) => candidate.parentSpanId === parentSpanId)) {
      lines.push(`${'  '.repeat(depth)}${span.name} [${span.service}]`);
      visit(span.spanId, depth + 1);
    }
  };
  visit('', 0);
  return lines;
}

describe('tracing (API and worker as processes, exporting OTLP to a receiver the test serves)', function () {
  this.timeout(90_000);
  let receiver: OtlpReceiver;
  let api: RunningProcess;
  let worker: RunningProcess;
  let apiUrl: string;
  let env: Record<string, string>;

  before(async () => {
    receiver = await startOtlpReceiver();
    env = {
      ...isolatedEnvironment('traced'),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Export at once rather than every 5 s, so the test need not wait.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // The relay's lease on an event no queue received: short, so the second case is quick.
      OUTBOX_LEASE_MS: '2000',
      EVENT_CONFIRM_TIMEOUT: '1s',
    };
    api = startProcess('api', { ...env, PORT: '0', OPS_PORT: '0' });
    worker = startProcess('worker', { ...env, WORKER_PORT: '0' });
    const listening = await api.waitForLog((line) => line.msg === 'api listening');
    apiUrl = `http://127.0.0.1:${String(listening.port)}`;
    await worker.waitForLog((line) => line.msg === 'worker started');
  });

  after(async () => {
    await Promise.all([api.stop(), worker.stop()]);
    await receiver.close();
    await dropRunData({ database: env.MONGO_DB ?? '', queueName: env.QUEUE_NAME ?? '' });
  });

  async function postOrder(): Promise<string> {
    const response = await fetch(`${apiUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: '7c11e1ce2741', product_code: 'classic-box' }),
    });
    expect(response.status).to.equal(202);
    return ((await response.json()) as { id: string }).id;
  }

  async function eventOf(listener: EventListener, orderId: string) {
    const received = await eventually(
      () =>
        Promise.resolve(
          listener.received.find(
            ({ body }) =>
              (body as { payload: { order: { order_id: string } } }).payload.order.order_id ===
              orderId,
          ),
        ),
      (event) => event !== undefined,
      { timeoutMs: 30_000, what: `the created_order event of ${orderId}` },
    );
    if (received === undefined) throw new Error('unreachable');
    return received;
  }

  /**
   * The spans of a trace, once spans of every one of `names` have arrived: each process
   * exports a span when it ends, and the job's ends after its publish.
   */
  function traceWith(traceId: string, ...names: string[]) {
    return eventually(
      () => Promise.resolve(receiver.inTrace(traceId)),
      (spans) => names.every((name) => spans.some((span) => span.name === name)),
      { timeoutMs: 15_000, what: `spans ${names.join(', ')} in trace ${traceId}` },
    );
  }

  it('when an order is posted, then one trace across both processes holds the POST, the enqueue, the job, both lookups, the settlement and the publish, and the AMQP message carries it', async () => {
    const listener = await listenForEvents({
      url: services.rabbitmqUrl,
      exchange: env.ORDERS_EXCHANGE ?? '',
      routingKey: 'created_order',
    });
    try {
      const orderId = await postOrder();
      const { message } = await eventOf(listener, orderId);
      const carried = parseTraceparent(message.properties.headers?.traceparent);
      const spans = await traceWith(
        carried.traceId,
        'POST /orders',
        `process ${env.QUEUE_NAME ?? ''}`,
        `publish ${env.ORDERS_EXCHANGE ?? ''}`,
      );
      console.log(`\n      trace ${carried.traceId} of order ${orderId}:`);
      for (const line of outline(spans)) console.log(`        ${line}`);

      const one = (predicate: (span: ReceivedSpan) => boolean, what: string) => {
        const found = spans.filter(predicate);
        expect(found, what).to.have.length(1);
        return found[0] as ReceivedSpan;
      };
      const post = one((span) => span.kind === SERVER && span.name.startsWith('POST'), 'POST');
      const enqueue = one((span) => span.name === 'enqueue order', 'enqueue');
      const job = one((span) => span.kind === CONSUMER && span.service === 'order-worker', 'job');
      const lookups = spans.filter((span) => span.kind === CLIENT && span.name === 'GET');
      const settle = one((span) => span.name === 'settle order', 'settlement');
      const publish = one(
        (span) => span.kind === PRODUCER && span.name.startsWith('publish'),
        'publish',
      );

      // One root, the POST; every other span hangs from a span of the same trace.
      expect(
        spans.filter((span) => span.parentSpanId === ''),
        'root spans',
      ).to.deep.equal([post]);
      const ids = new Set(spans.map((span) => span.spanId));
      for (const span of spans) {
        if (span !== post)
          expect(ids.has(span.parentSpanId), `parent of ${span.name}`).to.equal(true);
      }
      expect(post.service).to.equal('order-api');
      expect(enqueue.service).to.equal('order-api');
      expect(enqueue.attributes['order.id']).to.equal(orderId);
      // Across the queue: the worker's run is the child of the API's enqueue.
      expect(job.parentSpanId, 'job parent').to.equal(enqueue.spanId);
      expect(
        lookups.map((span) => span.parentSpanId),
        'lookups under the job',
      ).to.deep.equal([job.spanId, job.spanId]);
      const ports = lookups.map((span) => Number(span.attributes['server.port'])).sort();
      expect(ports).to.deep.equal(
        [services.productServiceUrl, services.userServiceUrl]
          .map((url) => Number(new URL(url).port))
          .sort(),
      );
      expect(settle.parentSpanId).to.equal(job.spanId);
      expect(settle.attributes['order.status']).to.equal('CONFIRMED');
      // The message carries the publish span's own context: a consumer continues from it.
      expect(carried.spanId, 'traceparent of the message').to.equal(publish.spanId);
      expect(publish.service).to.equal('order-worker');

      // The worker's log lines about this order name the trace.
      const changed = worker.logs.find(
        (line) => line.msg === 'order state changed' && line.orderId === orderId,
      );
      expect(changed?.trace_id, 'trace_id in the log').to.equal(carried.traceId);
    } finally {
      await listener.close();
    }
  });

  it('when no queue is bound at the settlement, then the event is parked within the order’s trace', async () => {
    // Nothing is bound to this suite's exchange now: the confirming run's publish comes back.
    const orderId = await postOrder();
    await worker.waitForLog(
      (line) => line.orderId === orderId && /parking queue/.test(String(line.msg)),
      30_000,
    );
    const broker = await connect(services.rabbitmqUrl);
    try {
      const channel = await broker.createChannel();
      const parking = parkingQueueOf(env.ORDERS_EXCHANGE ?? '');
      const parked = await eventually(
        () => channel.get(parking, { noAck: true }),
        (message) => message !== false,
        { what: 'the parked event' },
      );
      if (parked === false) throw new Error('nothing parked');
      const body = JSON.parse(parked.content.toString('utf8')) as {
        payload: { order: { order_id: string } };
      };
      expect(body.payload.order.order_id).to.equal(orderId);
      const carried = parseTraceparent(parked.properties.headers?.traceparent);
      const isPublish = (span: ReceivedSpan) =>
        span.kind === PRODUCER && span.name.startsWith('publish');
      const spans = await eventually(
        () => Promise.resolve(receiver.inTrace(carried.traceId)),
        (found) =>
          found.some((span) => span.name === 'enqueue order') &&
          found.filter(isPublish).length >= 2,
        { timeoutMs: 15_000, what: `the enqueue and both publishes in trace ${carried.traceId}` },
      );
      const enqueue = spans.find((span) => span.name === 'enqueue order');
      expect(enqueue?.attributes['order.id'], 'the trace is the order’s').to.equal(orderId);
      const publishes = spans.filter(isPublish);
      // The returned publish, then the parking one, which is the one the message carries.
      expect(publishes).to.have.length(2);
      expect(
        publishes.map((span) => span.spanId),
        'traceparent of the parked message',
      ).to.include(carried.spanId);
      await channel.deleteQueue(parking);
    } finally {
      await broker.close();
    }
  });
});
