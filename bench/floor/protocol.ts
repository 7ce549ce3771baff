/**
 * What the floor scenario (bench/scenarios/floor.ts) and the child process of each part say
 * to each other over the IPC channel. The child is the process whose CPU is read, so the
 * parent asks it for counts rather than the child timing itself: one clock, the parent's,
 * decides the measured window for both the CPU reading and the operations counted in it.
 */

/** The parts of the order pipeline the floor measures one at a time, in pipeline order. */
export const FLOOR_PARTS = ['koa', 'bullmq', 'insertMany', 'publish'] as const;

export type FloorPartName = (typeof FLOOR_PARTS)[number];

/** The script each part's child runs, under bench/floor/. */
export const FLOOR_SCRIPTS: Record<FloorPartName, string> = {
  koa: 'koa-server.ts',
  bullmq: 'bullmq-job.ts',
  insertMany: 'insert-order.ts',
  publish: 'confirmed-publish.ts',
};

/** How many operations a child keeps in flight (the end-to-end scenario's 64 clients). */
export const CONCURRENCY_VARIABLE = 'FLOOR_CONCURRENCY';

/** The queue bound to the publish part's exchange: a publish no queue takes comes back. */
export const floorQueueOf = (exchange: string) => `${exchange}_floor`;

export type ToChild =
  /** Begin the loops (a part that the parent loads itself, the Koa server, ignores it). */
  | { kind: 'start' }
  /** Answer with the operations completed so far. */
  | { kind: 'count' }
  /** Finish the operations in flight, close every connection and exit. */
  | { kind: 'stop' };

export type FromChild =
  /** Set up and waiting for `start`; `port` is where a server part listens. */
  | { kind: 'ready'; port?: number }
  | { kind: 'count'; done: number }
  /** An operation or the setup failed: the part's figures would mean nothing. */
  | { kind: 'failed'; message: string };
