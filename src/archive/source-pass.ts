import type { FileHandle } from 'node:fs/promises';
import { openSourceFile } from '../source-file.js';
import { StreamDigest } from './digest.js';
import type { Digest } from './digest.js';
import { allocateShared, returnSharedRing, takeSharedRing, ThreadHash } from './hash-thread.js';
import type { LogFacts, LogObserver } from './metadata.js';

/**
 * 512 KiB: a chunk is still in the core's cache when it is parsed right after the read that filled it
 * (measured side by side on a 2-core EPYC: 1 MiB chunks ship at ~0.85×, 2 MiB at ~0.5× the rate).
 */
const READ_CHUNK = 512 << 10;
/** Below this size a source is hashed on the calling thread: handing the work over would cost more than it saves. */
const THREAD_MIN_BYTES = 8 << 20;
/** Reads in flight ahead of the chunk being processed: a disk serves several requests at once. */
const READS_AHEAD = 3;
/** Chunks the hashing thread may fall behind by before the reads wait for it. */
const HASH_SLACK = 16;
/** Chunks in flight (hashed, parsed, written) when the consumer does not say how many it holds. */
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
    let sharedRing: Buffer[] | undefined;
    const reads: Promise<Buffer>[] = [];
    try {
      const hashing = this.options.hashing ?? 'auto';
      const threaded = hashing === 'thread' || (hashing === 'auto' && (await handle.stat()).size >= THREAD_MIN_BYTES);
      const allocate = threaded ? allocateShared : Buffer.allocUnsafeSlow;
      const held = this.options.heldByConsumer;
      // In use while chunk n is processed: the consumer's held ones, n, the reads ahead; one spare; and with the
      // hashing thread, room for it to fall behind for a while (another process had the core) without stopping the reads.
      const ring = held === undefined ? DEFAULT_RING + READS_AHEAD : held + READS_AHEAD + 2 + (threaded ? HASH_SLACK : 0);
      // Reused buffers: the hashing thread is given its ring at the start; on this thread they are made as needed (small logs).
      const pooled = held !== undefined;
      if (pooled && threaded) sharedRing = takeSharedRing(ring, READ_CHUNK);
      const buffers: (Buffer | undefined)[] = sharedRing ?? new Array(ring);
      digest = new StreamDigest(threaded ? new ThreadHash(sharedRing) : undefined);
      const hashed: (Promise<void> | void)[] = new Array(ring);
      const readAt = async (index: number, position: number): Promise<Buffer> => {
        const slot = index % ring;
        // The chunk that last used this slot must have left the hash before its memory is reused (or, when
        // buffers are not reused, before more chunks pile up for the hashing thread).
        await hashed[slot];
        return readChunk(handle, pooled ? (buffers[slot] ??= allocate(READ_CHUNK)) : allocate(READ_CHUNK), position);
      };
      // Reads ahead assume whole chunks; a short one (the end, or a file that changed size) drops those after it.
      let position = 0;
      let issued = 0;
      const readAhead = () => {
        while (reads.length < READS_AHEAD) {
          const read = readAt(issued, position + reads.length * READ_CHUNK);
          read.catch(() => undefined);
          reads.push(read);
          issued++;
        }
      };
      readAhead();
      for (let index = 0; ; index++) {
        const chunk = await reads.shift()!;
        if (chunk.length < READ_CHUNK) await discard(reads);
        if (chunk.length === 0) break;
        position += chunk.length;
        issued = index + 1 + reads.length;
        readAhead();
        hashed[index % ring] = digest.update(chunk);
        this.observer?.push(chunk);
        yield chunk;
      }
      this.result = await digest.finish();
    } finally {
      digest?.close();
      await discard(reads);
      if (sharedRing) returnSharedRing(sharedRing);
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

/** Waits for reads that will not be used (nothing may still write into a buffer when it is reused or freed). */
async function discard(reads: Promise<Buffer>[]): Promise<void> {
  await Promise.allSettled(reads.splice(0));
}

async function readChunk(handle: FileHandle, buffer: Buffer, position: number): Promise<Buffer> {
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
  return bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
}
