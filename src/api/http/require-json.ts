import type { Middleware } from 'koa';
import { ProblemError } from './problem.js';
import { PROBLEMS } from './problem-responses.js';

/** Refuses bodies that are not JSON before anything reads them. */
export function requireJson(): Middleware {
  return async (ctx, next) => {
    if (!ctx.is('application/json')) {
      throw new ProblemError(PROBLEMS.unsupportedMediaType, { 'Accept-Post': 'application/json' });
    }
    await next();
  };
}
