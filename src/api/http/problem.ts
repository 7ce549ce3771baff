/**
 * RFC 9457 problem details. `type` is a relative URI naming the kind of problem; clients
 * branch on it (and on the status), never on the human-readable text.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An error the API means to show: it becomes exactly this problem document. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
}

/** A problem document (RFC 9457): its `type` is `/problems/{slug}`. */
export function problem(parts: {
  status: number;
  slug: string;
  title: string;
  detail?: string;
  extensions?: Record<string, unknown>;
}): Problem {
  return {
    type: `/problems/${parts.slug}`,
    title: parts.title,
    status: parts.status,
    ...(parts.detail === undefined ? {} : { detail: parts.detail }),
    ...parts.extensions,
  };
}
