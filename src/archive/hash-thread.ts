import { Worker } from 'node:worker_threads';
import { SnaplogError } from '../errors.js';
import type { WholeHash } from './digest.js';

/** `update` names its memory by `slot` (one of the stream's `ring`, sent once) or carries it. */
type HashRequest =
  | { op: 'open'; stream: number; ring: SharedArrayBuffer[] }
  | { op: 'update'; stream: number; id: number; slot: number; memory?: SharedArrayBuffer; offset: number; length: number }
  | { op: 'finish'; stream: number; id: number }
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
const streams = new Map();
parentPort.on('message', (request) => {
  if (request.op === 'open') return void streams.set(request.stream, { hash: createHash('sha256'), ring: request.ring });
  if (request.op === 'drop') return void streams.delete(request.stream);
  const stream = streams.get(request.stream);
  if (request.op === 'update') {
    stream.hash.update(new Uint8Array(request.memory ?? stream.ring[request.slot], request.offset, request.length));
    return parentPort.postMessage({ id: request.id });
  }
  streams.delete(request.stream);
  parentPort.postMessage({ id: request.id, sha256: stream.hash.digest('hex') });
});
`;

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
    this.worker.on('error', (error) => this.fail(stopped(error.message, error)));
    this.worker.on('exit', (code) => this.fail(stopped(`exit code ${code}`)));
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

  /** Sends a request that gets a reply (`id` is filled in). */
  ask(request: HashRequest & { id: number }): Promise<HashReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = (request.id = this.nextId++);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  acquire(): void {
    if (this.users++ === 0) this.worker.ref();
  }

  release(): void {
    if (--this.users === 0) this.worker.unref();
  }
}

function stopped(why: string, cause?: unknown): SnaplogError {
  return new SnaplogError(`snaplog's hashing thread stopped (${why})`, {
    hint: 'the copy in progress was discarded and nothing was published; snaplog ship starts a new thread and tries again on its next round',
    cause,
  });
}

let current: HashThread | undefined;
let nextStream = 1;

/** A buffer the hashing thread can read in place (shared memory). */
export function allocateShared(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/** Rings of shared buffers kept for the next pass (at most two: the ship service's concurrency): fresh shared memory costs more to fault in than to hash. */
const spareRings: Buffer[][] = [];
const SPARE_RINGS = 2;

/** `count` shared buffers of `size` bytes, reused from an earlier pass when one is free. */
export function takeSharedRing(count: number, size: number): Buffer[] {
  const ring = (spareRings.pop() ?? []).filter((buffer) => buffer.length === size);
  while (ring.length < count) ring.push(allocateShared(size));
  return ring;
}

/** Gives a ring back once nothing reads into it any more; a stream hashing from it may still be dropped (its hash is discarded). */
export function returnSharedRing(ring: Buffer[]): void {
  if (spareRings.length < SPARE_RINGS) spareRings.push(ring);
}

function copyToShared(chunk: Buffer): Buffer {
  const copy = allocateShared(chunk.length);
  chunk.copy(copy);
  return copy;
}

/**
 * The sha256 of one stream, computed on the hashing thread while the caller parses and writes the same
 * chunks. A chunk must not change until its update() resolves (it is read in place); chunks not in shared
 * memory are copied.
 */
export class ThreadHash implements WholeHash {
  private readonly thread: HashThread;
  private readonly stream = nextStream++;
  private readonly slots = new Map<ArrayBufferLike, number>();
  private closed = false;

  /** `ring`: shared buffers the caller reuses for its chunks; handed to the thread once, then named by number. */
  constructor(ring: Buffer[] = []) {
    this.thread = current ??= new HashThread();
    this.thread.acquire();
    const memory = ring.map((buffer) => buffer.buffer).filter((buffer) => buffer instanceof SharedArrayBuffer);
    for (const [slot, buffer] of memory.entries()) this.slots.set(buffer, slot);
    this.thread.send({ op: 'open', stream: this.stream, ring: memory });
  }

  /** Resolves once the thread has hashed `chunk` (one reply per chunk; the thread works through them in order). */
  update(chunk: Buffer): Promise<void> {
    const shared = chunk.buffer instanceof SharedArrayBuffer ? chunk : copyToShared(chunk);
    const slot = this.slots.get(shared.buffer) ?? -1;
    const memory = slot < 0 ? { memory: shared.buffer as SharedArrayBuffer } : {};
    const where = { slot, ...memory, offset: shared.byteOffset, length: shared.length };
    const request: HashRequest & { id: number } = { op: 'update', stream: this.stream, id: 0, ...where };
    const hashed = this.thread.ask(request).then(() => undefined);
    hashed.catch(() => undefined);
    return hashed;
  }

  async finish(): Promise<string> {
    try {
      return (await this.thread.ask({ op: 'finish', stream: this.stream, id: 0 })).sha256!;
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
