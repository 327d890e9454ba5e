import { SnaplogError } from '../../../errors.js';

/** An event body too short or inconsistent for its type. Internal: scans turn it into a problem. */
export class BinlogDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BinlogDecodeError';
  }
}

/** Thrown by `readBinlogEvents` when the file is not a readable binlog (scans report problems instead). */
export class BinlogFormatError extends SnaplogError {
  readonly file: string | undefined;
  readonly position: number;

  constructor(file: string | undefined, position: number, problem: string) {
    super(`${file ?? 'binlog'}: ${problem}`, {
      hint: 'run `snaplog verify` to check the archived copy against its recorded checksum; `mariadb-binlog --hexdump` shows the bytes at that position',
    });
    this.file = file;
    this.position = position;
  }
}

export function needBytes(body: Buffer, length: number, what: string): void {
  if (body.length < length) throw new BinlogDecodeError(`${what}: body has ${body.length} bytes, needs ${length}`);
}
