import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const COMPOSE_TEXT = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

interface Service {
  ports?: string[];
  environment?: Record<string, string>;
  network_mode?: string;
}
// merge: the `<<: *app` keys are expanded, so what an anchor adds is checked too.
const compose = parse(COMPOSE_TEXT, { merge: true }) as { services: Record<string, Service> };
const published = Object.entries(compose.services).flatMap(([name, service]) =>
  (service.ports ?? []).map((mapping) => ({ name, mapping })),
);

/** A port mapping as compose resolves it, `${NAME:-default}` taken from `env` or its default. */
const resolved = (mapping: string, env: Record<string, string> = {}) =>
  mapping.replace(
    /\$\{(\w+):-([^}]*)\}/g,
    (_whole, name: string, fallback: string) => env[name] ?? fallback,
  );

describe('what the compose file exposes', () => {
  it('when its published ports are read with nothing set, then every service, the API included, is on 127.0.0.1 only', () => {
    const everywhere = published.filter(
      ({ mapping }) => !resolved(mapping).startsWith('127.0.0.1:'),
    );
    expect(everywhere.map(({ name }) => name)).to.deep.equal([]);
    expect(new Set(published.map(({ name }) => name))).to.have.keys([
      'api',
      'rabbitmq',
      'product-service',
      'user-service',
      'prometheus',
      'grafana',
      'jaeger',
    ]);
  });

  it("when the API's ports are read, then only its public port is published, on every interface only when API_BIND says so, and AUTH_MODE comes from .env", () => {
    const api = published.filter(({ name }) => name === 'api').map(({ mapping }) => mapping);
    expect(api.map((mapping) => resolved(mapping))).to.deep.equal(['127.0.0.1:3000:3000']);
    expect(api.map((mapping) => resolved(mapping, { API_BIND: '0.0.0.0' }))).to.deep.equal([
      '0.0.0.0:3000:3000',
    ]);
    expect(compose.services.api?.environment?.AUTH_MODE).to.equal('${AUTH_MODE:-none}');
    expect(compose.services.api?.environment?.OPS_PORT).to.equal('3003');
    expect(compose.services.worker?.ports, 'the worker publishes nothing').to.equal(undefined);
  });

  it('when any service is read, then none shares the host network (which would publish every port)', () => {
    for (const [name, service] of Object.entries(compose.services))
      expect(service.network_mode, name).to.equal(undefined);
  });

  it('when the environment of every service is read, then each credential is required from .env or empty (off), never written in', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        if (!/(_USER|_PASS|PASSWORD|SECRET|_KEYS?)$/.test(variable)) continue;
        expect(value, `${name}: ${variable}`).to.match(/^\$\{\w+(:\?[^}]*|:-)\}$/);
      }
    }
  });

  it('when credentials are interpolated, then none has a default: each must come from .env', () => {
    const defaults = [
      ...COMPOSE_TEXT.matchAll(/\$\{(\w*(?:_USER|_PASS|PASSWORD|SECRET)):-([^}]*)\}/g),
    ];
    // An empty default means "off" (Bull Board is served only with both set), not a password.
    expect(defaults.filter(([, , value]) => value !== '').map(([text]) => text)).to.deep.equal([]);
    for (const name of [
      'RABBITMQ_USER',
      'RABBITMQ_PASS',
      'GRAFANA_ADMIN_USER',
      'GRAFANA_ADMIN_PASSWORD',
    ])
      expect(COMPOSE_TEXT, name).to.include(`\${${name}:?`);
  });

  it('when Grafana is configured, then it allows no anonymous access', () => {
    expect(compose.services.grafana?.environment?.GF_AUTH_ANONYMOUS_ENABLED).to.equal('false');
  });
});
