/**
 * What the run does with each compose service, told by its image (or its build), and where a
 * container path of its volumes is on this machine.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ComposeService } from './compose-config.js';

/** app: built from the Dockerfile; absent: no stand-in here (Grafana, Jaeger). */
export type Kind =
  | 'app'
  | 'redis'
  | 'mongo'
  | 'wiremock'
  | 'rabbitmq'
  | 'rabbitmq-one-shot'
  | 'prometheus'
  | 'absent';

export function kindOf(service: ComposeService): Kind {
  const image = service.image ?? '';
  if (service.build !== undefined) return 'app';
  if (image.startsWith('redis:')) return 'redis';
  if (image.startsWith('mongo:')) return 'mongo';
  if (image.startsWith('wiremock/wiremock')) return 'wiremock';
  if (image.startsWith('prom/prometheus')) return 'prometheus';
  if (image.startsWith('rabbitmq:'))
    return service.entrypoint !== undefined && service.restart === 'no'
      ? 'rabbitmq-one-shot'
      : 'rabbitmq';
  return 'absent';
}

/**
 * A container path inside one of the service's volumes, as its host path: a bind mount's
 * source, or for a named volume a directory of the run (compose's fresh volume).
 */
export function hostPath(service: ComposeService, arg: string, tmpDir: string): string {
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (source === undefined || target === undefined) continue;
    if (arg !== target && !arg.startsWith(`${target}/`)) continue;
    const host = source.startsWith('/') ? source : path.join(tmpDir, 'volumes', source);
    if (!source.startsWith('/')) mkdirSync(host, { recursive: true });
    return host + arg.slice(target.length);
  }
  return arg;
}
