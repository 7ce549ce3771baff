import type { Middleware } from 'koa';
import { StoreUnavailableError } from '../../shared/persistence/order-repository.js';
import { PROBLEM_CONTENT_TYPE, ProblemError, problem, type Problem } from './problem.js';
import type { RequestState } from './request-context.js';

export const STORE_RETRY_AFTER_SECONDS = 5;

/** Errors thrown by Koa's helpers (body parser, router) carry a status and `expose`. */
interface HttpError {
  status: number;
  expose?: boolean;
}

function isHttpError(error: unknown): error is HttpError {
  return typeof (error as HttpError | null)?.status === 'number';
}

/** The problems the API answers with on its own or on behalf of Koa's helpers. */
export const PROBLEMS = {
  malformedRequest: problem({
    status: 400,
    slug: 'malformed-request',
    title: 'Malformed request',
    detail: 'The request body could not be read as JSON.',
  }),
  notFound: problem({
    status: 404,
    slug: 'not-found',
    title: 'Not found',
    detail: 'Nothing is served at this path.',
  }),
  methodNotAllowed: problem({
    status: 405,
    slug: 'method-not-allowed',
    title: 'Method not allowed',
    detail: 'This resource does not support that method; see the Allow header.',
  }),
  payloadTooLarge: problem({
    status: 413,
    slug: 'payload-too-large',
    title: 'Payload too large',
    detail: 'The request body is larger than allowed.',
  }),
  unsupportedMediaType: problem({
    status: 415,
    slug: 'unsupported-media-type',
    title: 'Unsupported media type',
    detail: 'Send the body as application/json (UTF-8, no content encoding).',
  }),
  notImplemented: problem({
    status: 501,
    slug: 'not-implemented',
    title: 'Not implemented',
    detail: 'This server does not support that method.',
  }),
  storeUnavailable: problem({
    status: 503,
    slug: 'store-unavailable',
    title: 'Service unavailable',
    detail: 'Orders cannot be stored or read right now. Try again shortly.',
  }),
  internal: problem({
    status: 500,
    slug: 'internal-error',
    title: 'Internal server error',
    detail: 'Something went wrong on our side.',
  }),
} as const;

const BY_STATUS: ReadonlyMap<number, Problem> = new Map(
  Object.values(PROBLEMS).map((known) => [known.status, known]),
);

/** Maps anything thrown below to a problem document; unknown errors never show their insides. */
export function toProblem(error: unknown): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof ProblemError) return { problem: error.problem, headers: error.headers };
  if (error instanceof StoreUnavailableError) {
    return {
      problem: PROBLEMS.storeUnavailable,
      headers: { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) },
    };
  }
  // Koa's helpers give client errors a 4xx status (the JSON parser without `expose`); a 5xx
  // is shown only when marked safe, like the router's 501.
  if (isHttpError(error)) {
    const clientError = error.status >= 400 && error.status < 500 && error.expose !== false;
    const known = BY_STATUS.get(error.status);
    if (known !== undefined && (clientError || error.expose === true))
      return { problem: known, headers: {} };
    if (clientError)
      return {
        problem: problem({ status: error.status, slug: 'client-error', title: 'Bad request' }),
        headers: {},
      };
  }
  return { problem: PROBLEMS.internal, headers: {} };
}

/**
 * Turns every error, thrown or left as a bare status by the router (404, 405 with its Allow
 * header, 501), into an RFC 9457 problem document, logged once with the request's context.
 */
export function problemResponses(): Middleware<RequestState> {
  return async (ctx, next) => {
    const logger = ctx.state.log;
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) {
        throw new ProblemError(BY_STATUS.get(ctx.status) ?? PROBLEMS.internal);
      }
    } catch (error) {
      const { problem: body, headers } = toProblem(error);
      const context = { err: error, method: ctx.method, path: ctx.path, status: body.status };
      if (body.status >= 500 && body.status !== 501) logger.error(context, 'request failed');
      else logger.debug(context, 'request refused');
      ctx.set(headers);
      ctx.status = body.status;
      ctx.type = PROBLEM_CONTENT_TYPE;
      ctx.body = body;
    }
  };
}
