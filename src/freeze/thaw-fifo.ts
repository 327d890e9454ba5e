/**
 * The holder's fast thaw channel: a FIFO in the ipc folder that the post hook writes one line to with sh
 * built-ins (`thaw SNAPSHOT_ID` or `fail SNAPSHOT_ID`), so the lock is released before any runtime starts.
 * The holder creates it (0600, its own), reads it without blocking a thread, and removes it when it ends.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, openSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const THAW_FIFO = 'thaw.fifo';

export type FifoRequest = 'thaw' | 'fail';

export interface FifoMessage {
  request: FifoRequest;
  snapshotId: string;
}

const SNAPSHOT_ID = /^[0-9A-Za-z-]{1,64}$/;

/** Pure: one line written to the FIFO; undefined for anything that is not `thaw ID` or `fail ID`. */
export function parseFifoMessage(line: string): FifoMessage | undefined {
  const words = line.trim().split(' ');
  if (words.length !== 2) return undefined;
  const [request, snapshotId] = words as [string, string];
  if ((request !== 'thaw' && request !== 'fail') || !SNAPSHOT_ID.test(snapshotId)) return undefined;
  return { request, snapshotId };
}

const execFileAsync = promisify(execFile);

export class ThawFifo {
  private buffered = '';

  private constructor(
    private readonly path: string,
    private readonly socket: Socket,
    private readonly identity: { dev: number; ino: number },
  ) {}

  /**
   * Replaces whatever has the FIFO's name (a stale holder's FIFO, a planted file: never opened) with a new
   * FIFO and listens on it. Opened read-write, so the open never waits for a writer and the FIFO never
   * reads as closed between two hooks.
   */
  static async open(ipcFolder: string, onMessage: (message: FifoMessage | undefined, line: string) => void): Promise<ThawFifo> {
    const path = join(ipcFolder, THAW_FIFO);
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await execFileAsync('mkfifo', ['-m', '600', '--', path]);
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    const stats = fstatSync(fd);
    if (!stats.isFIFO() || stats.uid !== process.getuid?.() || (stats.mode & 0o077) !== 0) {
      closeSync(fd);
      throw new Error(`${path} is not a private FIFO of this user after mkfifo`);
    }
    const socket = new Socket({ fd, readable: true, writable: false });
    const fifo = new ThawFifo(path, socket, { dev: stats.dev, ino: stats.ino });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => fifo.receive(chunk, onMessage));
    socket.on('error', () => undefined);
    socket.unref();
    return fifo;
  }

  private receive(chunk: string, onMessage: (message: FifoMessage | undefined, line: string) => void): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      onMessage(parseFifoMessage(line), line.slice(0, 100));
    }
    if (this.buffered.length > 4096) this.buffered = '';
  }

  /** Stops listening and removes the FIFO, if the name is still this FIFO's (a newer holder's is left alone). */
  close(): void {
    this.socket.destroy();
    try {
      const stats = lstatSync(this.path);
      if (stats.dev === this.identity.dev && stats.ino === this.identity.ino) unlinkSync(this.path);
    } catch {
      // gone already
    }
  }
}
