import { startProcess, type RunningProcess } from './processes.js';

/** An API and a worker process from source, with where each serves. */
export interface ApiAndWorker {
  api: RunningProcess;
  worker: RunningProcess;
  /** The API's public port. */
  apiUrl: string;
  /** The API's operations port: /metrics and the detailed /health/ready. */
  apiOpsUrl: string;
  /** The worker's port: /metrics and /health/ready. */
  workerUrl: string;
}

/** Starts both on free ports with `env`, and resolves once each says it is listening. */
export async function startApiAndWorker(env: Record<string, string>): Promise<ApiAndWorker> {
  const api = startProcess('api', { ...env, PORT: '0', OPS_PORT: '0' });
  const worker = startProcess('worker', { ...env, WORKER_PORT: '0' });
  const listening = await api.waitForLog((line) => line.msg === 'api listening');
  const started = await worker.waitForLog((line) => line.msg === 'worker started');
  return {
    api,
    worker,
    apiUrl: `http://127.0.0.1:${String(listening.port)}`,
    apiOpsUrl: `http://127.0.0.1:${String(listening.opsPort)}`,
    workerUrl: `http://127.0.0.1:${String(started.port)}`,
  };
}

/** Prints what the processes warned about: the first thing to read when a case failed. */
export function printWarnings(processes: readonly RunningProcess[]): void {
  for (const process of processes) {
    for (const line of process.logs.filter((entry) => Number(entry.level) >= 40))
      console.log(`      ${process.name}: ${JSON.stringify(line).slice(0, 600)}`);
  }
}
