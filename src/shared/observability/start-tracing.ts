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
 * instrumentations ask for. A process flushes its last spans as it stops (`flushTraces`).
 *
 * Traces only, over OTLP/HTTP: the trace SDK and its one exporter, not the all-in-one Node
 * SDK, which would also load every metrics and logs exporter (gRPC, protobuf, Prometheus,
 * Zipkin) and start OTLP metrics and logs pipelines no backend here receives; the service's
 * metrics are Prometheus' (`/metrics`). What the Node SDK read from the environment for
 * traces still applies: the exporter's `OTEL_EXPORTER_OTLP_*`, the sampler's
 * `OTEL_TRACES_SAMPLER(_ARG)`, the span limits, the batching's `OTEL_BSP_*`,
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SDK_DISABLED` and
 * `OTEL_LOG_LEVEL`. Context travels as W3C `traceparent` and `baggage`.
 */
export async function startTracing(serviceName: string): Promise<void> {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return;
  const { diagLogLevelFromString, getBooleanFromEnv, getStringFromEnv } =
    await import('@opentelemetry/core');
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return;

  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const [
    { diag, DiagConsoleLogger },
    { registerInstrumentations },
    {
      defaultResource,
      detectResources,
      envDetector,
      hostDetector,
      processDetector,
      resourceFromAttributes,
    },
    { ATTR_SERVICE_NAME },
    { BatchSpanProcessor, NodeTracerProvider },
    { OTLPTraceExporter },
    { HttpInstrumentation },
    { KoaInstrumentation },
    { UndiciInstrumentation },
    { IORedisInstrumentation },
    { MongoDBInstrumentation },
    { AmqplibInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-koa'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-mongodb'),
    import('@opentelemetry/instrumentation-amqplib'),
  ]);

  const logLevel = getStringFromEnv('OTEL_LOG_LEVEL');
  if (logLevel !== undefined) {
    diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  }

  // The SDK's own attributes, then what the environment says (OTEL_RESOURCE_ATTRIBUTES,
  // OTEL_SERVICE_NAME), the process and the host, then the service's name.
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector, processDetector, hostDetector] }))
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? serviceName,
      }),
    );
  // The sampler and span limits come from OTEL_* inside the provider, the batching's from
  // OTEL_BSP_* inside the processor, the endpoint and headers inside the exporter.
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The global tracer provider, AsyncLocalStorage for the active context, and the W3C
  // trace-context and baggage propagators.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
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
  await waitForAllMessagesAcknowledged();
}
