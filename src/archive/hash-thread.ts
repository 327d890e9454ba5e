import { Worker } from 'node:worker_threads';
import type { WholeHash } from './digest.js';

type HashRequest =
  | { op: 'update'; stream: number; memory: SharedArrayBuffer; offset: number; length: number }
  | { op: 'mark' | 'finish'; stream: number; id: number }
  | { op: 'drop'; stream: number };
interface HashReply {
  id: number;
  sha256?: string;
}

/**
 * The hashing thread's whole program (CommonJS, run from this string: it needs no file next to the bundle
 * or the compiled modules). One sha256 per stream; chunks are read in place from shared memory.
 */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (request) => {
  if (request.op === 'drop') return void hashes.delete(request.stream);
  let hash = hashes.get(request.stream);
  if (!hash) hashes.set(request.stream, (hash = createHash('sha256')));
  if (request.op === 'update') return void hash.update(new Uint8Array(request.memory, request.offset, request.length));
  if (request.op === 'finish') hashes.delete(request.stream);
  parentPort.postMessage({ id: request.id, sha256: request.op === 'finish' ? hash.digest('hex') : undefined });
});
`;

/** Bytes sent between two marks; a stream waits when more than MAX_MARKS marks are unanswered (bounds the memory a slow hash pins). */
const MARK_BYTES = 4 << 20;
const MAX_MARKS = 2;

/** One hashing thread per process, shared by every stream; it keeps the process alive only while a stream uses it. */
class HashThread {
  private readonly worker = new Worker(THREAD_SOURCE, { eval: true });
  private readonly waiting = new Map<number, { resolve(reply: HashReply): void; reject(error: Error): void }>();
  private nextId = 1;
  private users = 0;
  private failure: Error | undefined;

  constructor() {
    this.worker.unref();
    this.worker.on('message', (reply: HashReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      waiter?.resolve(reply);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`snaplog's hashing thread stopped (exit code ${code})`)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    if (current === this) current = undefined;
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }

  send(request: HashRequest): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(request);
  }

  ask(op: 'mark' | 'finish', stream: number): Promise<HashReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ op, stream, id } satisfies HashRequest);
    });
  }

  acquire(): void {
    if (this.users++ === 0) this.worker.ref();
  }

  release(): void {
    if (--this.users === 0) this.worker.unref();
  }
}

let current: HashThread | undefined;
let nextStream = 1;

/** A buffer the hashing thread can read in place (shared memory). */
export function allocateShared(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

function copyToShared(chunk: Buffer): Buffer {
  const copy = allocateShared(chunk.length);
  chunk.copy(copy);
  return copy;
}

/**
 * The sha256 of one stream, computed on the hashing thread while the caller parses and writes the same
 * chunks. Chunks must not change after update() (they are read in place); chunks not in shared memory are copied.
 */
export class ThreadHash implements WholeHash {
  private readonly thread: HashThread;
  private readonly stream = nextStream++;
  private sinceMark = 0;
  private readonly marks: Promise<HashReply>[] = [];
  private closed = false;

  constructor() {
    this.thread = current ??= new HashThread();
    this.thread.acquire();
  }

  update(chunk: Buffer): void | Promise<void> {
    const shared = chunk.buffer instanceof SharedArrayBuffer ? chunk : copyToShared(chunk);
    this.thread.send({ op: 'update', stream: this.stream, memory: shared.buffer as SharedArrayBuffer, offset: shared.byteOffset, length: shared.length });
    this.sinceMark += chunk.length;
    if (this.sinceMark < MARK_BYTES) return;
    this.sinceMark = 0;
    const mark = this.thread.ask('mark', this.stream);
    mark.catch(() => undefined);
    this.marks.push(mark);
    if (this.marks.length > MAX_MARKS) return this.marks.shift()!.then(() => undefined);
  }

  async finish(): Promise<string> {
    try {
      return (await this.thread.ask('finish', this.stream)).sha256!;
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.thread.send({ op: 'drop', stream: this.stream });
    } catch {
      // the thread is gone: nothing to free
    }
    this.thread.release();
  }
}
