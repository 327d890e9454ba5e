import type { FileHandle } from 'node:fs/promises';
import { openSourceFile } from '../engines/source-file.js';
import { StreamDigest } from './digest.js';
import type { Digest } from './digest.js';
import { allocateShared, ThreadHash } from './hash-thread.js';
import type { LogFacts, LogObserver } from './metadata.js';

const READ_CHUNK = 1 << 20;
/** Below this size a source is hashed on the calling thread: handing the work over would cost more than it saves. */
const THREAD_MIN_BYTES = 8 << 20;

/** Where the sha256 is computed: 'auto' picks the hashing thread for sources of THREAD_MIN_BYTES or more. */
export type Hashing = 'auto' | 'thread' | 'inline';

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
    private readonly hashing: Hashing = 'auto',
  ) {}

  async *chunks(): AsyncIterable<Buffer> {
    const handle = await openSourceFile(this.path);
    let digest: StreamDigest | undefined;
    let reading: Promise<Buffer> | undefined;
    try {
      const threaded = this.hashing === 'thread' || (this.hashing === 'auto' && (await handle.stat()).size >= THREAD_MIN_BYTES);
      digest = new StreamDigest(threaded ? new ThreadHash() : undefined);
      const allocate = threaded ? allocateShared : Buffer.allocUnsafe;
      let position = 0;
      reading = readChunk(handle, allocate(READ_CHUNK), position);
      for (;;) {
        const chunk = await reading;
        reading = undefined;
        if (chunk.length === 0) break;
        position += chunk.length;
        reading = readChunk(handle, allocate(READ_CHUNK), position);
        reading.catch(() => undefined);
        await digest.update(chunk);
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
