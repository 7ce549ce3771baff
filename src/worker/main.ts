import { ConfigError, loadWorkerConfig } from '../shared/config/config.js';
import { stopOnSignals } from '../shared/lifecycle/stop-on-signals.js';
import { buildWorker } from './build-worker.js';

/** The worker process: reads its configuration, builds the worker, runs until a signal. */
async function main(): Promise<void> {
  const worker = await buildWorker(loadWorkerConfig(process.env));
  await worker.start();
  stopOnSignals(worker.stop, worker.logger);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
