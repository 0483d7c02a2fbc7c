import type { Readable } from 'node:stream';

/*
 * Reading an answer's body within bounds. A hostile or broken upstream (OPENAI_BASE_URL pointing at
 * it) once killed the process with a 1 MB gzip body that inflated to 1 GiB (the string made from it
 * was over V8's limit, thrown in zlib's callback outside any promise), held 3.9 GB for a 500 MB body,
 * and kept a call open forever by trickling bytes (undici's bodyTimeout counts only idle time). So
 * the bytes on the wire and the bytes after decompression are both counted as they arrive, reading
 * stops at the cap, and one timer ends the read at the attempt's deadline.
 */

/** 64 MiB: the largest real Admin API page (a usage page grouped five ways) is a few MB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Why a body could not be read as an answer: the client reports it with the status and request id. */
export class BodyProblem extends Error {
  constructor(
    readonly code: 'response_too_large' | 'undecodable_body',
    message: string,
  ) {
    super(message);
  }
}

/** The attempt's deadline passed while the body was still arriving. */
export class BodyDeadline extends Error {
  readonly code = 'ETIMEDOUT';
}

export interface BodyLimits {
  /** Cap on the bytes on the wire and, separately, on the bytes after decompression. */
  maxBytes: number;
  /** When the read must be over (performance.now() time). */
  deadline: number;
}

/**
 * The body as UTF-8 text, gunzipped when the server compressed it. `encoding` is the
 * content-encoding header; only identity and gzip are accepted (the client asks for gzip only).
 */
export async function readBody(body: Readable, encoding: string | null, declaredLength: number | null, limits: BodyLimits): Promise<string> {
  const { maxBytes } = limits;
  if (declaredLength !== null && declaredLength > maxBytes) {
    body.destroy();
    throw new BodyProblem('response_too_large', `the answer declares ${fmt(declaredLength)} bytes, over the ${fmt(maxBytes)} byte limit (--max-response-mb)`);
  }
  const remaining = limits.deadline - performance.now();
  if (remaining <= 0) {
    body.destroy();
    throw new BodyDeadline('deadline passed before the body was read');
  }
  // One timer per read, cleared when it ends: destroying the body ends whichever stage is reading it.
  const timer = setTimeout(() => body.destroy(new BodyDeadline('deadline passed while the body was arriving')), remaining);
  try {
    if (encoding === null || encoding === 'identity') return await collect(body, maxBytes, 'the answer');
    if (encoding !== 'gzip') throw new UnexpectedEncoding(encoding);
    return await gunzipped(body, maxBytes);
  } finally {
    clearTimeout(timer);
  }
}

/** A response body in an encoding the client did not ask for: a misbehaving proxy, not a network failure. */
export class UnexpectedEncoding extends Error {
  constructor(readonly encoding: string) {
    super(`the answer came with content-encoding '${encoding}', which this client did not ask for (it accepts gzip only)`);
  }
}

/** Chunks into one string, refusing more than `maxBytes`. Leaving the loop early destroys the stream. */
async function collect(source: AsyncIterable<Buffer>, maxBytes: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxBytes) throw new BodyProblem('response_too_large', `${what} ran over the ${fmt(maxBytes)} byte limit (--max-response-mb); reading stopped there`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, total).toString('utf8');
}

/**
 * Inflates as the compressed bytes arrive, counting both sides: a bomb stops at the cap, having
 * inflated no more than that (zlib runs on the thread pool, a chunk at a time).
 */
async function gunzipped(body: Readable, maxBytes: number): Promise<string> {
  const { createGunzip } = await import('node:zlib');
  const { pipeline } = await import('node:stream/promises');
  let wire = 0;
  const counted = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      wire += chunk.length;
      if (wire > maxBytes) throw new BodyProblem('response_too_large', `the compressed answer ran over the ${fmt(maxBytes)} byte limit (--max-response-mb); reading stopped there`);
      yield chunk;
    }
  };
  let text = '';
  try {
    await pipeline(body, counted, createGunzip({ chunkSize: 256 * 1024 }), async (source: AsyncIterable<Buffer>) => {
      text = await collect(source, maxBytes, 'the decompressed answer');
    });
  } catch (error) {
    if (error instanceof BodyProblem || error instanceof BodyDeadline) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new BodyProblem('undecodable_body', `the answer says it is gzip but does not inflate (${code})`);
    throw error;
  }
  return text;
}

const fmt = (n: number) => n.toLocaleString('en-US');
