import type { FileHandle } from 'node:fs/promises';
import { openSourceFile } from '../engines/source-file.js';
import { StreamDigest } from './digest.js';
import type { Digest } from './digest.js';
import { allocateShared, ThreadHash } from './hash-thread.js';
import type { LogFacts, LogObserver } from './metadata.js';

const READ_CHUNK = 1 << 20;
/** Below this size a source is hashed on the calling thread: handing the work over would cost more than it saves. */
const THREAD_MIN_BYTES = 8 << 20;
/** Chunks in flight (read, hashed, parsed, written) when the consumer does not say how many it holds. */
const DEFAULT_RING = 8;

/** Where the sha256 is computed: 'auto' picks the hashing thread for sources of THREAD_MIN_BYTES or more. */
export type Hashing = 'auto' | 'thread' | 'inline';

export interface SourcePassOptions {
  hashing?: Hashing;
  /**
   * How many earlier chunks the consumer may still be using when it asks for the next one (StorageDriver.heldChunks).
   * When known, the pass reads into a few buffers it reuses instead of fresh memory for every chunk.
   */
  heldByConsumer?: number;
}

/**
 * One pass over a source log, every byte read once through one O_NOFOLLOW descriptor: the next chunk is read
 * while this one is hashed (whole and head; on the hashing thread for large logs), observed (parsed) on this
 * thread, and written by the consumer — read, hash, parse and write overlap. The digest is ready when the
 * chunks end, before the consumer publishes anything.
 */
export class SourcePass {
  private result: Digest | undefined;

  constructor(
    private readonly path: string,
    private readonly observer?: LogObserver,
    private readonly options: SourcePassOptions = {},
  ) {}

  async *chunks(): AsyncIterable<Buffer> {
    const handle = await openSourceFile(this.path);
    let digest: StreamDigest | undefined;
    let reading: Promise<Buffer> | undefined;
    try {
      const hashing = this.options.hashing ?? 'auto';
      const threaded = hashing === 'thread' || (hashing === 'auto' && (await handle.stat()).size >= THREAD_MIN_BYTES);
      const allocate = threaded ? allocateShared : Buffer.allocUnsafeSlow;
      const held = this.options.heldByConsumer;
      // In use while chunk n is read: n itself, n − 1 (being hashed and parsed), the consumer's held ones; one spare.
      const ring = held === undefined ? DEFAULT_RING : held + 3;
      const buffers = held === undefined ? [] : Array.from({ length: ring }, () => allocate(READ_CHUNK));
      digest = new StreamDigest(threaded ? new ThreadHash(buffers) : undefined);
      const hashed: (Promise<void> | void)[] = new Array(ring);
      const readAt = async (index: number, position: number): Promise<Buffer> => {
        const slot = index % ring;
        // The chunk that last used this slot must have left the hash before its memory is reused (or, when
        // buffers are not reused, before more chunks pile up for the hashing thread).
        await hashed[slot];
        const buffer = buffers[slot] ?? allocate(READ_CHUNK);
        return readChunk(handle, buffer, position);
      };
      let position = 0;
      reading = readAt(0, 0);
      for (let index = 0; ; index++) {
        const chunk = await reading;
        reading = undefined;
        if (chunk.length === 0) break;
        position += chunk.length;
        reading = readAt(index + 1, position);
        reading.catch(() => undefined);
        hashed[index % ring] = digest.update(chunk);
        this.observer?.push(chunk);
        yield chunk;
      }
      this.result = await digest.finish();
    } finally {
      digest?.close();
      if (reading) await reading.catch(() => undefined);
      await handle.close();
    }
  }

  /** Size, sha256 and head sha256 of what the chunks were; only once they have all been read. */
  digest(): Digest {
    if (!this.result) throw new Error(`SourcePass.digest: ${this.path} was not read to its end`);
    return this.result;
  }

  facts(): LogFacts {
    return this.observer?.finish() ?? {};
  }

  /** Reads the whole source (no copy is written): its digest and facts. */
  async drain(): Promise<{ digest: Digest; facts: LogFacts }> {
    for await (const chunk of this.chunks()) void chunk;
    return { digest: this.digest(), facts: this.facts() };
  }
}

async function readChunk(handle: FileHandle, buffer: Buffer, position: number): Promise<Buffer> {
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
  return bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
}
