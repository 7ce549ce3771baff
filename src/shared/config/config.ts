import { z } from 'zod';

/**
 * Every setting comes from the environment and is checked at start-up, so a typo stops the
 * process with a message naming the variable instead of failing on the first order.
 */
const positiveInt = z.coerce.number().int().positive();
const percent = z.coerce.number().int().min(1).max(100);
const httpUrl = z.url({ protocol: /^https?$/ });

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_DURATION_MS = 365 * DURATION_UNITS_MS.d;
/**
 * A duration such as `90s`, `10m` or `24h` (a bare number is milliseconds), in milliseconds.
 * Written here rather than taken from a parsing library so the accepted form is exactly the
 * one docs/configuration.md documents, and a typo is refused instead of guessed at.
 */
const durationOrZero = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, 'must be a duration like 1500ms, 90s, 10m, 24h or 2d')
  .transform((text) => {
    const unit = (text.replace(/^\d+/, '') || 'ms') as keyof typeof DURATION_UNITS_MS;
    return Number.parseInt(text, 10) * DURATION_UNITS_MS[unit];
  })
  .refine((ms) => ms <= MAX_DURATION_MS, 'must be at most 365d');
const duration = durationOrZero.refine((ms) => ms > 0, 'must be longer than zero');

/** `host:port` or `[ipv6]:port`. */
const NODE_ADDRESS = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;
/** `host:port,host:port,…`: the nodes of a Redis Cluster the client starts from. */
const clusterNodes = z
  .string()
  .transform((text) => text.split(',').map((address) => address.trim()))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(NODE_ADDRESS, 'each node must be host:port')
          .transform((address) => {
            const [, ipv6, host, port] = NODE_ADDRESS.exec(address) ?? [];
            return { host: ipv6 ?? host ?? '', port: Number(port) };
          })
          .refine((node) => node.port >= 1 && node.port <= 65535, 'ports are 1–65535'),
      )
      .min(1),
  );
/**
 * Redis Cluster hashes only what is between a key's first `{` and the `}` after it when that
 * is not empty. BullMQ's keys start with the prefix and its scripts touch several keys of a
 * queue at once, so on a cluster the prefix must carry such a tag, or they fail with CROSSSLOT.
 */
const HASH_TAGGED = /^[^{]*\{[^}]+\}/;

const commonSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL')
    .default('mongodb://127.0.0.1:27017'),
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name')
    .default('order_service'),
  MONGO_TIMEOUT_MS: positiveInt.default(2000),
  MONGO_MAX_POOL_SIZE: positiveInt.default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  // When set, everything Redis goes to this cluster and REDIS_URL is not used.
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, - and _ only')
    .default('orders'),
  // BullMQ's own default, so keys stay where they were for deployments that never set it.
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:{}-]{1,100}$/, 'letters, digits, -, _, :, { and } only')
    .default('bull'),
  RABBITMQ_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// URL')
    .default('amqp://guest:guest@127.0.0.1:5672'),
  ORDERS_EXCHANGE: z.string().min(1).default('orders'),
  JOB_ATTEMPTS: positiveInt.default(6),
  RETRY_BASE_DELAY_MS: positiveInt.default(500),
  SHUTDOWN_GRACE_MS: positiveInt.default(30_000),
  // Read by the OpenTelemetry SDK itself (with the other OTEL_* variables); set, it turns
  // tracing on, and BullMQ's telemetry with it.
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
});

const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** `[{"client_id": "shop", "key_sha256": "<64 hex>", "scopes": ["orders:write:any"]}, …]` */
const apiKeysJson = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be a JSON list' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(
        z.object({
          client_id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'a plain id'),
          key_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "the key's SHA-256 in hex"),
          scopes: z.array(z.string().min(1)),
        }),
      )
      .min(1),
  );

const apiSchema = commonSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  OPS_PORT: z.coerce.number().int().min(0).max(65535).default(3003),
  AUTH_MODE: z.enum(['none', 'jwt', 'api-key']).default('none'),
  // https, except on this machine (an issuer in development).
  AUTH_JWKS_URL: httpUrl
    .refine((url) => {
      const { protocol, hostname } = new URL(url);
      return protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(hostname);
    }, 'must be an https:// URL (http only for localhost)')
    .optional(),
  AUTH_JWT_PUBLIC_KEY: z
    .string()
    .regex(/-----BEGIN PUBLIC KEY-----/, 'must be a PEM public key (SPKI)')
    .optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_JWT_ALGORITHMS: z
    .string()
    .transform((text) => text.split(',').map((name) => name.trim()))
    .pipe(z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1))
    .prefault('RS256,ES256,EdDSA'),
  // Past five minutes a stolen token outlives its expiry by more than most tokens live.
  AUTH_CLOCK_SKEW: durationOrZero
    .refine((ms) => ms <= 300_000, 'must be at most 5m')
    .prefault('30s'),
  AUTH_JWKS_REFRESH: duration
    .refine((ms) => ms <= 86_400_000, 'must be at most 24h')
    .prefault('5m'),
  AUTH_API_KEYS: apiKeysJson.optional(),
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  BODY_LIMIT_BYTES: positiveInt.default(16_384),
  LONG_POLL_MAX_WAITERS: positiveInt.default(2000),
  HTTP_MAX_CONNECTIONS: positiveInt.default(5000),
  HTTP_MAX_IN_FLIGHT: positiveInt.default(3000),
  // Clients retry for minutes to hours (a mobile app offline, a queue that redelivers); a key
  // forgotten sooner turns a retry into a second order.
  IDEMPOTENCY_KEY_TTL: duration
    .refine((ms) => ms >= 3_600_000, 'must be at least 1h')
    .prefault('24h'),
  // RFC 7617: the user name ends at the first colon.
  ADMIN_USER: z
    .string()
    .regex(/^[^:]{1,64}$/, 'must be 1–64 characters without ":"')
    .optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
});

const workerSchema = commonSchema.extend({
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  EVENT_PRODUCER: z.string().min(1).default('order-service'),
  USER_SERVICE_URL: httpUrl.default('http://127.0.0.1:8082'),
  PRODUCT_SERVICE_URL: httpUrl.default('http://127.0.0.1:8081'),
  WORKER_CONCURRENCY: positiveInt.default(1000),
  LOOKUP_TIMEOUT_MS: positiveInt.default(2000),
  LOOKUP_PATIENT_TIMEOUT_MS: positiveInt.default(75_000),
  LOOKUP_MAX_BODY_BYTES: positiveInt.default(65_536),
  LOOKUP_MAX_IN_FLIGHT: positiveInt.default(500),
  BREAKER_ERROR_THRESHOLD_PERCENT: percent.default(50),
  BREAKER_VOLUME_THRESHOLD: positiveInt.default(10),
  BREAKER_RESET_TIMEOUT_MS: positiveInt.default(10_000),
  RECOVERY_SWEEP_INTERVAL_MS: positiveInt.default(30_000),
  ORDER_DEADLINE: duration.prefault('10m'),
  // A settlement record decides between runs of one order, so it must outlive every run.
  SETTLEMENT_RETENTION: duration
    .refine((ms) => ms >= 3_600_000, 'must be at least 1h')
    .prefault('24h'),
  OUTBOX_LEASE_MS: positiveInt.default(30_000),
  EVENT_CONFIRM_TIMEOUT: duration.prefault('10s'),
  OUTBOX_RELAY_INTERVAL_MS: positiveInt.default(1000),
  // 0 turns the product cache (and its coalescing) off.
  PRODUCT_CACHE_TTL: durationOrZero.prefault('5s'),
});

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Every variable each process reads with its rule and default, for the documentation checks. */
export const API_VARIABLES: Readonly<Record<string, z.ZodType>> = apiSchema.shape;
export const WORKER_VARIABLES: Readonly<Record<string, z.ZodType>> = workerSchema.shape;

function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  // An empty variable means "not set": `FOO=` in a compose file should fall back to the default.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(given);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  return result.data;
}

type CommonEnv = z.output<typeof commonSchema>;

/**
 * On a cluster the prefix must be hash-tagged. It is refused rather than derived: a prefix
 * names where every queued job lives, so it changes only when an operator says so.
 */
function queuePrefix(env: CommonEnv): string {
  if (env.REDIS_CLUSTER_NODES !== undefined && !HASH_TAGGED.test(env.QUEUE_PREFIX)) {
    throw new ConfigError([
      `QUEUE_PREFIX: must carry a hash tag such as {${env.QUEUE_NAME}} when REDIS_CLUSTER_NODES is set (got ${env.QUEUE_PREFIX}): BullMQ's scripts use several keys of a queue at once, which must share one cluster slot`,
    ]);
  }
  return env.QUEUE_PREFIX;
}

function commonConfig(env: CommonEnv) {
  return {
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    mongo: {
      url: env.MONGO_URL,
      database: env.MONGO_DB,
      timeoutMs: env.MONGO_TIMEOUT_MS,
      maxPoolSize: env.MONGO_MAX_POOL_SIZE,
    },
    redis: { url: env.REDIS_URL, clusterNodes: env.REDIS_CLUSTER_NODES ?? null },
    rabbitmq: { url: env.RABBITMQ_URL, exchange: env.ORDERS_EXCHANGE },
    queue: {
      name: env.QUEUE_NAME,
      prefix: queuePrefix(env),
      attempts: env.JOB_ATTEMPTS,
      retryBaseDelayMs: env.RETRY_BASE_DELAY_MS,
    },
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    tracing: { enabled: env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined },
  };
}

export type CommonConfig = ReturnType<typeof commonConfig>;

/** The settings every process shares (the events tail uses the broker's). */
export function loadCommonConfig(env: NodeJS.ProcessEnv): CommonConfig {
  return commonConfig(parse(commonSchema, env));
}

/** The queue dashboard is on only with both credentials: never open, never half-configured. */
function adminCredentials(user: string | undefined, password: string | undefined) {
  if (user === undefined && password === undefined) return null;
  if (user === undefined || password === undefined) {
    throw new ConfigError([
      `${user === undefined ? 'ADMIN_USER' : 'ADMIN_PASSWORD'}: must be set together with ${user === undefined ? 'ADMIN_PASSWORD' : 'ADMIN_USER'}`,
    ]);
  }
  return { user, password };
}

type ApiEnv = z.output<typeof apiSchema>;

/** How callers are authenticated; each mode must come with all it needs. */
function authentication(env: ApiEnv) {
  switch (env.AUTH_MODE) {
    case 'none':
      return { mode: 'none' as const };
    case 'api-key':
      if (env.AUTH_API_KEYS === undefined)
        throw new ConfigError(['AUTH_API_KEYS: must be set when AUTH_MODE is api-key']);
      return {
        mode: 'api-key' as const,
        keys: env.AUTH_API_KEYS.map((key) => ({
          clientId: key.client_id,
          keySha256: key.key_sha256,
          scopes: key.scopes,
        })),
      };
    case 'jwt': {
      const problems = [
        ...(env.AUTH_JWT_ISSUER === undefined ? ['AUTH_JWT_ISSUER: must be set for jwt'] : []),
        ...(env.AUTH_JWT_AUDIENCE === undefined ? ['AUTH_JWT_AUDIENCE: must be set for jwt'] : []),
        ...((env.AUTH_JWKS_URL === undefined) === (env.AUTH_JWT_PUBLIC_KEY === undefined)
          ? ['AUTH_JWKS_URL: set it or AUTH_JWT_PUBLIC_KEY, one of the two, for jwt']
          : []),
      ];
      if (problems.length > 0) throw new ConfigError(problems);
      return {
        mode: 'jwt' as const,
        jwksUrl: env.AUTH_JWKS_URL === undefined ? null : new URL(env.AUTH_JWKS_URL),
        publicKeyPem: env.AUTH_JWT_PUBLIC_KEY ?? null,
        issuer: env.AUTH_JWT_ISSUER ?? '',
        audience: env.AUTH_JWT_AUDIENCE ?? '',
        algorithms: env.AUTH_JWT_ALGORITHMS,
        clockSkewSeconds: Math.round(env.AUTH_CLOCK_SKEW / 1000),
        keyRefreshMs: env.AUTH_JWKS_REFRESH,
      };
    }
  }
}

export function loadApiConfig(env: NodeJS.ProcessEnv) {
  const parsed = parse(apiSchema, env);
  return {
    ...commonConfig(parsed),
    port: parsed.PORT,
    opsPort: parsed.OPS_PORT,
    auth: authentication(parsed),
    trustProxy: parsed.TRUST_PROXY === 'true',
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    longPollMaxWaiters: parsed.LONG_POLL_MAX_WAITERS,
    httpMaxConnections: parsed.HTTP_MAX_CONNECTIONS,
    httpMaxInFlight: parsed.HTTP_MAX_IN_FLIGHT,
    idempotencyKeyTtlMs: parsed.IDEMPOTENCY_KEY_TTL,
    admin: adminCredentials(parsed.ADMIN_USER, parsed.ADMIN_PASSWORD),
  };
}

export type ApiConfig = ReturnType<typeof loadApiConfig>;

type WorkerEnv = z.output<typeof workerSchema>;

/**
 * A publisher waits up to the confirm timeout for the broker, then the event is left to the
 * relay; a lease shorter than twice that lets the relay take over an event whose publish is
 * still waiting, and both send it.
 */
function outboxSettings(env: WorkerEnv) {
  if (env.OUTBOX_LEASE_MS < 2 * env.EVENT_CONFIRM_TIMEOUT) {
    throw new ConfigError([
      `OUTBOX_LEASE_MS: must be at least twice EVENT_CONFIRM_TIMEOUT (${String(2 * env.EVENT_CONFIRM_TIMEOUT)} ms; got ${String(env.OUTBOX_LEASE_MS)}), or a publish still waiting for its confirm overlaps with the relay's and the event is sent twice`,
    ]);
  }
  return {
    leaseMs: env.OUTBOX_LEASE_MS,
    relayIntervalMs: env.OUTBOX_RELAY_INTERVAL_MS,
    confirmTimeoutMs: env.EVENT_CONFIRM_TIMEOUT,
  };
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv) {
  const parsed = parse(workerSchema, env);
  return {
    ...commonConfig(parsed),
    port: parsed.WORKER_PORT,
    producer: parsed.EVENT_PRODUCER,
    userServiceUrl: parsed.USER_SERVICE_URL,
    productServiceUrl: parsed.PRODUCT_SERVICE_URL,
    concurrency: parsed.WORKER_CONCURRENCY,
    lookupTimeouts: {
      firstMs: parsed.LOOKUP_TIMEOUT_MS,
      patientMs: parsed.LOOKUP_PATIENT_TIMEOUT_MS,
    },
    lookupMaxBodyBytes: parsed.LOOKUP_MAX_BODY_BYTES,
    lookupMaxInFlight: parsed.LOOKUP_MAX_IN_FLIGHT,
    breaker: {
      errorThresholdPercentage: parsed.BREAKER_ERROR_THRESHOLD_PERCENT,
      volumeThreshold: parsed.BREAKER_VOLUME_THRESHOLD,
      resetTimeoutMs: parsed.BREAKER_RESET_TIMEOUT_MS,
    },
    recoverySweepIntervalMs: parsed.RECOVERY_SWEEP_INTERVAL_MS,
    orderDeadlineMs: parsed.ORDER_DEADLINE,
    settlementRetentionMs: parsed.SETTLEMENT_RETENTION,
    outbox: outboxSettings(parsed),
    productCacheTtlMs: parsed.PRODUCT_CACHE_TTL,
  };
}

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;
