import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import getRawBody from 'raw-body';

/**
 * A body as text, or null when it is longer than `maxBytes`. It is read as a stream and
 * dropped the moment it passes the cap, so an answer of any size costs at most `maxBytes` of
 * memory. Errors of the stream itself (a time limit, a cut connection) pass on.
 */
export async function readStreamCapped(stream: Readable, maxBytes: number): Promise<string | null> {
  try {
    // No expected length: fetch may have decoded a compressed body, whose header counts the
    // bytes on the wire. The cap applies to what is read.
    return await getRawBody(stream, { limit: maxBytes, encoding: 'utf-8' });
  } catch (error) {
    // Dropped: an error the stream raises on its way out (undici's says "aborted") tells
    // nothing more, and without a listener it would be uncaught.
    stream.on('error', () => undefined);
    stream.destroy();
    if ((error as { type?: unknown }).type === 'entity.too.large') return null;
    throw error;
  }
}

/** The body of a fetch `response`, read as readStreamCapped does. */
export async function readCapped(response: Response, maxBytes: number): Promise<string | null> {
  if (response.body === null) return '';
  return readStreamCapped(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), maxBytes);
}
