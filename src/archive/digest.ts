import { createHash } from 'node:crypto';

/** The head hash covers this many leading bytes: a cheap identity check of a source against its archived copy. */
export const HEAD_BYTES = 4096;

export interface Digest {
  size: number;
  sha256: string;
  headSha256: string;
}

/** The sha256 of a whole stream: computed on the calling thread, or on the hashing thread (hash-thread.ts). */
export interface WholeHash {
  /** Nothing, or a promise that resolves once the hash is done reading `chunk` (its memory may be reused then). */
  update(chunk: Buffer): void | Promise<void>;
  finish(): Promise<string>;
  /** Gives up the hash (after an error): frees what it holds. */
  close(): void;
}

export class InlineHash implements WholeHash {
  private readonly hash = createHash('sha256');

  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }

  async finish(): Promise<string> {
    return this.hash.digest('hex');
  }

  close(): void {}
}

/** sha256 of the whole stream and of its first HEAD_BYTES, fed chunk by chunk. */
export class StreamDigest {
  private readonly head = createHash('sha256');
  private headBytes = 0;
  private size = 0;

  constructor(private readonly whole: WholeHash = new InlineHash()) {}

  update(chunk: Buffer): void | Promise<void> {
    if (this.headBytes < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.headBytes);
      this.head.update(part);
      this.headBytes += part.length;
    }
    this.size += chunk.length;
    return this.whole.update(chunk);
  }

  async finish(): Promise<Digest> {
    return { size: this.size, sha256: await this.whole.finish(), headSha256: this.head.digest('hex') };
  }

  close(): void {
    this.whole.close();
  }
}
