import { CONCURRENCY_VARIABLE, type FromChild, type ToChild } from './protocol.js';

/** One part of the pipeline, set up in its own process, as the floor scenario drives it. */
export interface FloorChildPart {
  /** Where a server part listens, told to the parent that loads it. */
  port?: number;
  /**
   * One order's worth of the part's work, resolved once it is done; absent for a part the
   * parent loads from outside (the Koa server).
   */
  runOne?: () => Promise<void>;
  /** Closes the part's connections; the parent removes what the part stored or declared. */
  close(): Promise<void>;
}

/** Sends `message` and resolves once it is written, so a process may exit right after. */
function tell(message: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) throw new Error('run me from the floor scenario (IPC)');
    process.send(message, undefined, {}, () => {
      resolve();
    });
  });
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs a part for the floor scenario: sets it up, says `ready`, runs `runOne` from as many
 * loops as the parent asked for once told to `start`, counts what completed, and on `stop`
 * lets the operations in flight finish before it closes the part and exits. The first failed
 * operation stops everything: a floor measured around errors would be too low.
 */
export async function serveFloorPart(open: () => Promise<FloorChildPart>): Promise<void> {
  const concurrency = Number(process.env[CONCURRENCY_VARIABLE] ?? '64');
  // An orphan would keep loading the box: with its parent gone, it leaves at once.
  process.on('disconnect', () => process.exit(1));
  let part: FloorChildPart;
  try {
    part = await open();
  } catch (error) {
    await tell({ kind: 'failed', message: `setup: ${describe(error)}` });
    process.exit(1);
  }
  let done = 0;
  let stopping = false;
  let loops: Promise<unknown> = Promise.resolve();
  const loop = async (runOne: () => Promise<void>) => {
    while (!stopping) {
      await runOne();
      done++;
    }
  };
  const finish = async (failure: unknown) => {
    if (stopping) return; // a second stop, or more loops failing after the first
    stopping = true;
    if (failure !== null) await tell({ kind: 'failed', message: describe(failure) });
    await loops.catch(() => undefined);
    await part.close().catch(() => undefined);
    process.exit(failure === null ? 0 : 1);
  };
  const start = (runOne: () => Promise<void>) => {
    loops = Promise.all(Array.from({ length: concurrency }, () => loop(runOne)));
    void loops.catch((error: unknown) => finish(error));
  };
  process.on('message', (message: ToChild) => {
    if (message.kind === 'count') void tell({ kind: 'count', done });
    else if (message.kind === 'stop') void finish(null);
    else if (part.runOne !== undefined && !stopping) start(part.runOne);
  });
  await tell({ kind: 'ready', ...(part.port === undefined ? {} : { port: part.port }) });
}
