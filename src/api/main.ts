import { ConfigError, loadApiConfig } from '../shared/config/config.js';
import { stopOnSignals } from '../shared/lifecycle/stop-on-signals.js';
import { buildApi } from './build-api.js';

/** The API process: reads its configuration, builds the API, serves until a signal. */
async function main(): Promise<void> {
  const api = await buildApi(loadApiConfig(process.env));
  await api.start();
  stopOnSignals(api.stop, api.logger);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
