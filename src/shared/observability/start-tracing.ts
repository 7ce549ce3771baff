import { register } from 'node:module';

/** Paths scraped or probed every few seconds: tracing them would bury the orders' traces. */
const UNTRACED_PATHS = /^\/(metrics|health)(\/|$|\?)/;

/**
 * Starts OpenTelemetry tracing for this process when `OTEL_EXPORTER_OTLP_ENDPOINT` is set,
 * and does nothing at all when it is not: no SDK is loaded and no module is hooked, so the
 * spans the code opens stay the API's no-ops.
 *
 * It must run before the application's modules load (`node --import`), because the
 * instrumentations patch Koa, ioredis, mongodb and amqplib as they are imported. In an ES
 * module process that takes a loader hook; it is told to wrap only the modules the
 * instrumentations ask for. The exporter, sampler and resource follow the standard `OTEL_*`
 * variables. A process flushes its last spans as it stops (`flushTraces`).
 */
export async function startTracing(serviceName: string): Promise<void> {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return;
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const [
    { NodeSDK },
    { OTLPTraceExporter },
    { HttpInstrumentation },
    { KoaInstrumentation },
    { UndiciInstrumentation },
    { IORedisInstrumentation },
    { MongoDBInstrumentation },
    { AmqplibInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-koa'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-mongodb'),
    import('@opentelemetry/instrumentation-amqplib'),
  ]);
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? serviceName,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // Outgoing calls go through undici, traced below.
        disableOutgoingRequestInstrumentation: true,
      }),
      new KoaInstrumentation(),
      new UndiciInstrumentation(),
      // The worker polls Redis and the sweep reads MongoDB on their own: only commands made
      // for an order (inside its trace) are worth a span.
      new IORedisInstrumentation({ requireParentSpan: true }),
      new MongoDBInstrumentation({ requireParentSpan: true }),
      new AmqplibInstrumentation(),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
}
