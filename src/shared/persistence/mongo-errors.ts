import {
  MongoBulkWriteError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type WriteError,
} from 'mongodb';
import { withinTimeLimit } from '../lifecycle/time-limit.js';
import { StoreUnavailableError } from './order-repository.js';

const DUPLICATE_KEY = 11000;

/**
 * Socket errors the driver lets through unwrapped: a pooled connection the server has closed
 * fails its next write with a plain EPIPE ("This socket has been ended by the other party")
 * instead of a MongoNetworkError. The command never reached the server.
 */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);

function isSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
}

function isOutage(error: unknown): boolean {
  return (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    isSocketError(error)
  );
}

/** An insert refused because the _id is taken: the one write every server makes atomic. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/** Inserts `document`; false when its _id is taken. */
export async function insertOnce(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** Why one item of a bulk write was refused, as the server said it. */
export class ItemWriteError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ItemWriteError';
  }
}

function unwrapped(error: MongoBulkWriteError): Error {
  const inner: unknown = error.cause ?? error.errorResponse;
  return inner instanceof Error ? inner : error;
}

/**
 * How long a bulk write may go unanswered. When the connection to the server was cut while a
 * command was in flight, the driver (7.x) was seen leaving the next `insertMany` pending for
 * good where a single insert failed server selection after its 2 s: every request in that
 * batch would then hang. Past this limit the batch counts as not written (as after a cut
 * connection), which its callers already handle.
 */
const BULK_WRITE_LIMIT_MS = 10_000;

/**
 * Runs an unordered bulk write of `count` items and tells, per item, whether the server
 * refused it: null where it was written, its error where not. An error of the whole call
 * (the server is away, or no answer in time) is thrown, since it concerns every item.
 */
export async function itemErrors(
  count: number,
  write: () => Promise<unknown>,
): Promise<(ItemWriteError | null)[]> {
  const refused = new Array<ItemWriteError | null>(count).fill(null);
  try {
    await withinTimeLimit(
      write(),
      BULK_WRITE_LIMIT_MS,
      () => new StoreUnavailableError(new Error(`no answer within ${BULK_WRITE_LIMIT_MS} ms`)),
    );
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error;
    const writeErrors = ([] as WriteError[]).concat(error.writeErrors);
    // Not about one item: the server could not be reached (the driver wraps that error, which
    // callers must still recognise), or a write-concern error.
    if (writeErrors.length === 0) throw unwrapped(error);
    for (const item of writeErrors)
      refused[item.index] = new ItemWriteError(item.code, item.errmsg ?? 'write refused');
  }
  return refused;
}

/** Per item of a bulk insert: true when stored, false when its _id was taken. */
export async function insertEach<T>(
  documents: readonly T[],
  insertMany: (documents: T[]) => Promise<unknown>,
): Promise<(boolean | Error)[]> {
  const refused = await itemErrors(documents.length, () => insertMany([...documents]));
  return refused.map((error) =>
    error === null ? true : error.code === DUPLICATE_KEY ? false : error,
  );
}

/** Driver errors that mean "cannot reach the database" become one error type callers know. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw isOutage(error) ? new StoreUnavailableError(error) : error;
  }
}
