/**
 * Loaded before the worker (`node --import`): traces it when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set.
 */
import { startTracing } from '../shared/observability/start-tracing.js';

await startTracing('order-worker');
