import { z } from 'zod';
import type { ZodOpenApiResponseObject } from 'zod-openapi';
import { PROBLEM_CONTENT_TYPE, type Problem } from '../http/problem.js';
import { requestIdResponseHeader, retryAfterHeader } from './http-headers.js';
import { problemSchema } from './problem-schemas.js';

type HeaderShape = Record<string, z.ZodType>;

interface ResponseOptions {
  headers?: HeaderShape;
}

/** Every response has an X-Request-Id: requestContext sets it before anything can fail. */
function headersWith(headers: HeaderShape = {}) {
  return z.object({ 'X-Request-Id': requestIdResponseHeader, ...headers });
}

export function jsonResponse(
  description: string,
  schema: z.ZodType,
  options: ResponseOptions = {},
): ZodOpenApiResponseObject {
  return {
    description,
    headers: headersWith(options.headers),
    content: { 'application/json': { schema } },
  };
}

export function textResponse(
  description: string,
  mediaType: string,
  options: ResponseOptions = {},
): ZodOpenApiResponseObject {
  return {
    description,
    headers: headersWith(options.headers),
    content: { [mediaType]: { schema: z.string() } },
  };
}

/**
 * An `application/problem+json` answer. The examples are the problem documents the code
 * answers with for this status, named by their slug.
 */
export function problemResponse(
  description: string,
  examples: readonly Problem[],
  options: ResponseOptions & { schema?: z.ZodType } = {},
): ZodOpenApiResponseObject {
  return {
    description,
    headers: headersWith(options.headers),
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: options.schema ?? problemSchema,
        examples: Object.fromEntries(
          examples.map((example) => [
            example.type.replace('/problems/', ''),
            { summary: example.title, value: example },
          ]),
        ),
      },
    },
  };
}

/** 503: the store cannot be reached, or this instance is shutting down. */
export function unavailableResponse(examples: readonly Problem[]): ZodOpenApiResponseObject {
  return problemResponse(
    'The service cannot take the request now (its store is unreachable, or this instance is ' +
      'shutting down). Nothing was changed; retry after Retry-After seconds.',
    examples,
    { headers: { 'Retry-After': retryAfterHeader } },
  );
}
