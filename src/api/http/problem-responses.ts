import type { Middleware } from 'koa';
import type { Logger } from '../../shared/observability/logger.js';
import { StoreUnavailableError } from '../../shared/persistence/order-repository.js';
import { PROBLEM_CONTENT_TYPE, ProblemError, problem, type Problem } from './problem.js';

const STORE_RETRY_AFTER_SECONDS = 5;

/** Errors thrown by Koa's own helpers (body parser, router) carry a status and `expose`. */
interface HttpError {
  status: number;
  expose?: boolean;
  type?: string;
}

function isHttpError(error: unknown): error is HttpError {
  return typeof (error as HttpError | null)?.status === 'number';
}

const CLIENT_ERRORS: Readonly<Record<number, { slug: string; title: string; detail: string }>> = {
  400: {
    slug: 'malformed-request',
    title: 'Malformed request',
    detail: 'The request body is not valid JSON.',
  },
  405: {
    slug: 'method-not-allowed',
    title: 'Method not allowed',
    detail: 'This resource does not support that method.',
  },
  413: {
    slug: 'payload-too-large',
    title: 'Payload too large',
    detail: 'The request body is larger than allowed.',
  },
  415: {
    slug: 'unsupported-media-type',
    title: 'Unsupported media type',
    detail: 'Send the body as application/json.',
  },
};

/** Maps anything thrown below to a problem document; unknown errors never show their insides. */
export function toProblem(error: unknown): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof ProblemError) return { problem: error.problem, headers: error.headers };
  if (error instanceof StoreUnavailableError) {
    return {
      problem: problem(
        503,
        'store-unavailable',
        'Service unavailable',
        'Orders cannot be stored or read right now. Try again shortly.',
      ),
      headers: { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) },
    };
  }
  if (isHttpError(error) && error.status >= 400 && error.status < 500 && error.expose !== false) {
    const known = CLIENT_ERRORS[error.status];
    if (known !== undefined) {
      return { problem: problem(error.status, known.slug, known.title, known.detail), headers: {} };
    }
    return { problem: problem(error.status, 'client-error', 'Bad request'), headers: {} };
  }
  return {
    problem: problem(
      500,
      'internal-error',
      'Internal server error',
      'Something went wrong on our side.',
    ),
    headers: {},
  };
}

export function problemResponses(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ProblemError(
          problem(404, 'not-found', 'Not found', `Nothing is served at ${ctx.path}.`),
        );
      }
    } catch (error) {
      const { problem: body, headers } = toProblem(error);
      const context = { err: error, method: ctx.method, path: ctx.path, status: body.status };
      if (body.status >= 500) logger.error(context, 'request failed');
      else logger.debug(context, 'request refused');
      ctx.set(headers);
      ctx.status = body.status;
      ctx.type = PROBLEM_CONTENT_TYPE;
      ctx.body = body;
    }
  };
}
