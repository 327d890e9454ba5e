import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import type { CloseMarker } from './close-marker.js';

/** sha256 of a log as it is, and as it would be with its close marker saying open and saying closed. */
export interface MarkerDigests {
  actual: string;
  asOpen: string;
  asClosed: string;
  /** The marker says open (or crash-closed); undefined when the log is too short to hold one. */
  saysOpen: boolean | undefined;
}

/**
 * Hashes one stream three ways in one pass: as is, with the close marker set to "open", and set to
 * "closed". Two copies whose `asClosed` agree differ in the close marker only.
 */
export class MarkerDigester {
  private readonly actual = createHash('sha256');
  private readonly asOpen = createHash('sha256');
  private readonly asClosed = createHash('sha256');
  private head: Buffer[] = [];
  private headLength = 0;
  private marker: Buffer | undefined;

  constructor(private readonly closeMarker: CloseMarker) {}

  update(chunk: Buffer): void {
    this.actual.update(chunk);
    if (this.marker) {
      this.both(chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength >= this.closeMarker.offset + this.closeMarker.length) this.flushHead();
  }

  digests(): MarkerDigests {
    if (!this.marker) {
      const head = Buffer.concat(this.head);
      this.head = [];
      this.both(head);
    }
    return {
      actual: this.actual.digest('hex'),
      asOpen: this.asOpen.digest('hex'),
      asClosed: this.asClosed.digest('hex'),
      saysOpen: this.marker ? this.closeMarker.saysOpen(this.marker) : undefined,
    };
  }

  private flushHead(): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    const { offset, length } = this.closeMarker;
    this.marker = Buffer.from(head.subarray(offset, offset + length));
    const before = head.subarray(0, offset);
    const after = head.subarray(offset + length);
    for (const [hash, marker] of [
      [this.asOpen, this.closeMarker.asOpen(this.marker)],
      [this.asClosed, this.closeMarker.asClosed(this.marker)],
    ] as [Hash, Buffer][]) {
      hash.update(before);
      hash.update(marker);
      hash.update(after);
    }
  }

  private both(chunk: Buffer): void {
    this.asOpen.update(chunk);
    this.asClosed.update(chunk);
  }
}

/** Digests of a whole stream. */
export async function markerDigests(chunks: AsyncIterable<Buffer>, closeMarker: CloseMarker): Promise<MarkerDigests> {
  const digester = new MarkerDigester(closeMarker);
  for await (const chunk of chunks) digester.update(chunk);
  return digester.digests();
}
