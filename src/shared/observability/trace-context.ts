import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  propagation,
  trace,
  type Span,
} from '@opentelemetry/api';

/**
 * The spans the service opens itself, for the steps no instrumentation sees: one order's
 * enqueue inside a batched add, its settlement inside a batched write, the relay's publish
 * long after the job. Without a started SDK (tracing off) every call here is the API's no-op.
 */
const tracer = () => trace.getTracer('order-processor');

/** W3C trace context as a header carrier: `traceparent` (and `tracestate` when present). */
export type TraceCarrier = Record<string, string>;

export type StepKind = 'internal' | 'producer';

/** Runs `step` in a span of its own, a child of the active one; failures mark the span. */
export function inSpan<T>(
  name: string,
  kind: StepKind,
  step: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { kind: kind === 'producer' ? SpanKind.PRODUCER : SpanKind.INTERNAL },
    async (span) => {
      try {
        return await step(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The active trace context, to carry across a process boundary; empty when not traced. */
export function currentTraceCarrier(): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs `step` in a span that continues the trace `carrier` came from (a stored event's
 * settlement), or in a new trace when it carries none.
 */
export function inTraceOf<T>(
  carrier: TraceCarrier | undefined,
  name: string,
  step: () => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, carrier ?? {});
  return context.with(parent, () => inSpan(name, 'internal', step));
}

/** The ids of the active span, for log lines; empty outside a sampled trace. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  if ((traceFlags & TraceFlags.SAMPLED) === 0) return {};
  return { trace_id: traceId, span_id: spanId };
}

/** Sends the spans still buffered (the process is stopping); nothing to do when tracing is off. */
export async function flushTraces(): Promise<void> {
  // The global provider is a proxy; the SDK's provider behind it holds the buffer.
  const global = trace.getTracerProvider() as {
    getDelegate?: () => { forceFlush?: () => Promise<void> };
  };
  await global.getDelegate?.().forceFlush?.();
}
