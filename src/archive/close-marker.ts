/**
 * How a log records that the server has finished closing it (MySQL/MariaDB: the binlog in-use flag). A copy
 * taken just before the server finished differs from the final file in these bytes only.
 */
export interface CloseMarker {
  /** What the marker is, for messages. */
  readonly description: string;
  /** Where it is in the file. */
  readonly offset: number;
  readonly length: number;
  /** Whether these `length` bytes say the log is still open (or was closed by a crash). */
  saysOpen(marker: Buffer): boolean;
  /** The same bytes as the server has them while the log is open. */
  asOpen(marker: Buffer): Buffer;
  /** The same bytes as the server leaves them when it closes the log cleanly. */
  asClosed(marker: Buffer): Buffer;
}
