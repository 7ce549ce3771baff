import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import getRawBody from 'raw-body';

/**
 * The body of `response` as text, or null when it is longer than `maxBytes`. It is read as a
 * stream and dropped the moment it passes the cap, so an answer of any size costs at most
 * `maxBytes` of memory. Errors of the stream itself (a time limit, a cut connection) pass on.
 */
export async function readCapped(response: Response, maxBytes: number): Promise<string | null> {
  if (response.body === null) return '';
  const stream = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
  try {
    // No expected length: fetch may have decoded a compressed body, whose header counts the
    // bytes on the wire. The cap applies to what is read.
    return await getRawBody(stream, { limit: maxBytes, encoding: 'utf-8' });
  } catch (error) {
    stream.destroy();
    if ((error as { type?: unknown }).type === 'entity.too.large') return null;
    throw error;
  }
}
