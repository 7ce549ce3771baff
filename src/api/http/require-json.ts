import type { Middleware } from 'koa';
import { ProblemError, problem } from './problem.js';

/** Refuses bodies that are not JSON before anything reads them. */
export function requireJson(): Middleware {
  return async (ctx, next) => {
    if (!ctx.is('application/json')) {
      throw new ProblemError(
        problem(
          415,
          'unsupported-media-type',
          'Unsupported media type',
          'Send the body as application/json.',
        ),
        { 'Accept-Post': 'application/json' },
      );
    }
    await next();
  };
}
