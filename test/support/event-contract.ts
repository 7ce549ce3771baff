import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { MessageProperties } from 'amqplib';
import { parse } from 'yaml';
import { PARKED_FROM } from '../../src/shared/messaging/event-publisher.js';
import { resolveLocalReference } from './json-reference.js';

/** The contract of the order events: what consumers are promised, and what tests hold events to. */
export const ASYNCAPI_PATH = new URL('../../docs/asyncapi.yaml', import.meta.url);

/** An AMQP message as a consumer receives it (amqplib's ConsumeMessage and GetMessage are). */
export interface AmqpEvent {
  /** The routing key it was delivered with. */
  fields: { routingKey: string };
  properties: MessageProperties;
  content: Buffer;
}

/** A received event that its message in docs/asyncapi.yaml does not describe. */
export class EventContractError extends Error {
  constructor(violations: readonly string[]) {
    super(
      'what was received does not match docs/asyncapi.yaml (message id, then what differs):\n' +
        violations.map((violation) => `  - ${violation}`).join('\n'),
    );
    this.name = 'EventContractError';
  }
}

type Node = Record<string, unknown>;

/** The document with every `$ref` replaced by what it points to (it has no cycles). */
function dereferenced(document: unknown, node: unknown = document): unknown {
  if (Array.isArray(node)) return node.map((item) => dereferenced(document, item));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as Node).$ref;
  if (typeof ref === 'string')
    return dereferenced(document, resolveLocalReference(document as object, ref));
  return Object.fromEntries(
    Object.entries(node).map(([key, child]) => [key, dereferenced(document, child)]),
  );
}

interface MessageValidators {
  name: string;
  headers: ValidateFunction;
  payload: ValidateFunction;
}

/**
 * Per routing key, the message the worker sends under it: the channels its `send` operations
 * name on the `orders` exchange (`is: routingKey`), whose address is the routing key.
 */
function loadContract(text: string): Map<string, MessageValidators> {
  const document = dereferenced(parse(text)) as {
    operations: Record<string, { action: string; channel: Node; messages: Node[] }>;
  };
  // AsyncAPI 3.0 schemas are JSON Schema draft 7, which is Ajv's default dialect.
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats.default(ajv);
  const byRoutingKey = new Map<string, MessageValidators>();
  for (const operation of Object.values(document.operations)) {
    const binding = (operation.channel.bindings as { amqp?: { is?: string } } | undefined)?.amqp;
    if (operation.action !== 'send' || binding?.is !== 'routingKey') continue;
    const [message, ...others] = operation.messages;
    if (message === undefined || others.length > 0)
      throw new Error(`channel ${String(operation.channel.address)} needs exactly one message`);
    byRoutingKey.set(String(operation.channel.address), {
      name: String(message.name),
      headers: ajv.compile(message.headers as object),
      payload: ajv.compile(message.payload as object),
    });
  }
  return byRoutingKey;
}

let contract: Map<string, MessageValidators> | undefined;

/** The messages of docs/asyncapi.yaml, by routing key; read once per process. */
function messagesByRoutingKey(): Map<string, MessageValidators> {
  contract ??= loadContract(readFileSync(ASYNCAPI_PATH, 'utf8'));
  return contract;
}

/** amqplib's names of the basic properties, and the AMQP 0-9-1 names the document uses. */
const PROPERTY_NAMES: Record<string, string> = {
  contentType: 'content_type',
  contentEncoding: 'content_encoding',
  headers: 'headers',
  deliveryMode: 'delivery_mode',
  priority: 'priority',
  correlationId: 'correlation_id',
  replyTo: 'reply_to',
  expiration: 'expiration',
  messageId: 'message_id',
  timestamp: 'timestamp',
  type: 'type',
  userId: 'user_id',
  appId: 'app_id',
  clusterId: 'cluster_id',
};

/** The properties a message was sent with, under their AMQP names (amqplib lists unset ones). */
export function amqpProperties(properties: MessageProperties): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(properties as unknown as Record<string, unknown>)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [PROPERTY_NAMES[name] ?? name, value]),
  );
}

function errorsOf(validate: ValidateFunction, data: unknown, dataVar: string): string[] {
  if (validate(data)) return [];
  return (validate.errors ?? []).map(
    (error) =>
      `${dataVar}${error.instancePath} ${error.message ?? 'is invalid'}` +
      (error.params.additionalProperty === undefined
        ? ''
        : ` (${String(error.params.additionalProperty)})`),
  );
}

/**
 * How a message sent under `routingKey` differs from its message in docs/asyncapi.yaml:
 * `properties` under their AMQP names, `body` parsed. Empty when it matches.
 */
export function messageViolations(
  routingKey: string,
  properties: Record<string, unknown>,
  body: unknown,
): string[] {
  const messageId = String(properties.message_id);
  const message = messagesByRoutingKey().get(routingKey);
  if (message === undefined) return [`message ${messageId}: no event is sent as ${routingKey}`];
  return [
    ...errorsOf(message.headers, properties, 'properties'),
    ...errorsOf(message.payload, body, 'body'),
  ].map((error) => `${message.name} ${messageId}: ${error}`);
}

/**
 * How `event` differs from its message in docs/asyncapi.yaml, body and AMQP properties alike;
 * empty when it matches. A parked event (or one replayed from the parking queue) is held to
 * the message of the routing key it was first published under.
 */
export function contractViolations(event: AmqpEvent): string[] {
  const headers = (event.properties.headers ?? {}) as Record<string, unknown>;
  const parkedFrom = headers[PARKED_FROM.routingKey];
  const routingKey = typeof parkedFrom === 'string' ? parkedFrom : event.fields.routingKey;
  let body: unknown;
  try {
    body = JSON.parse(event.content.toString('utf8'));
  } catch {
    return [`message ${String(event.properties.messageId)}: the body is not JSON`];
  }
  return messageViolations(routingKey, amqpProperties(event.properties), body);
}

/** Throws EventContractError when `event` is not what docs/asyncapi.yaml says it is. */
export function expectFollowsContract(event: AmqpEvent): void {
  const violations = contractViolations(event);
  if (violations.length > 0) throw new EventContractError(violations);
}
