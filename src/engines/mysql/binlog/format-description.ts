import { ChecksumAlg, CHECKSUM_LENGTH, DEFAULT_POST_HEADER_LENGTH, EVENT_HEADER_LENGTH } from './constants.js';
import { BinlogDecodeError } from './errors.js';

/** What the FORMAT_DESCRIPTION_EVENT says about every event after it. */
export interface FormatDescription {
  binlogVersion: number;
  serverVersion: string;
  /** Unix seconds; 0 when the server did not fill it in. */
  createTimestamp: number;
  /** Common header length of the events that follow (19 for v4). */
  headerLength: number;
  /** Post-header length of each event type, indexed by type - 1. */
  postHeaderLengths: Uint8Array;
  /** The algorithm byte, or undefined for servers older than MySQL 5.6.1 / MariaDB 5.3 (no such byte). */
  checksumAlg: number | undefined;
  checksum: 'none' | 'crc32';
  flavor: 'mariadb' | 'mysql';
}

/** The FORMAT_DESCRIPTION body's fixed part: binlog_version u16, server_version char[50], create_timestamp u32, header_length u8. */
const FIXED_BODY = 2 + 50 + 4 + 1;
const ALG_AND_CRC = 1 + CHECKSUM_LENGTH;

/** `[major, minor, patch]` the way mysqlbinlog splits a version: leading digits of up to three dot-separated parts. */
export function splitServerVersion(version: string): [number, number, number] {
  const parts: number[] = [];
  let rest = version;
  for (let i = 0; i < 3; i++) {
    const match = /^(\d+)/.exec(rest);
    if (!match) break;
    parts.push(Number(match[1]));
    rest = rest.slice(match[1]!.length);
    if (!rest.startsWith('.')) break;
    rest = rest.slice(1);
  }
  while (parts.length < 3) parts.push(0);
  return parts as [number, number, number];
}

export function isMariadbVersion(version: string): boolean {
  return /mariadb|-maria-/i.test(version);
}

/** Servers from MySQL 5.6.1 / MariaDB 5.3 on end the FDE body with the checksum algorithm byte (+ CRC32). */
export function versionHasChecksumAlg(version: string): boolean {
  const [major, minor, patch] = splitServerVersion(version);
  const at = (a: number, b: number, c: number) => major > a || (major === a && (minor > b || (minor === b && patch >= c)));
  return isMariadbVersion(version) ? at(5, 3, 0) : at(5, 6, 1);
}

/** `event` is the whole FORMAT_DESCRIPTION_EVENT, its 19-byte header included. */
export function decodeFormatDescription(event: Buffer): FormatDescription {
  if (event.length < EVENT_HEADER_LENGTH + FIXED_BODY) {
    throw new BinlogDecodeError(`format description event of ${event.length} bytes is too short`);
  }
  const body = event.subarray(EVENT_HEADER_LENGTH);
  const binlogVersion = body.readUInt16LE(0);
  const versionBytes = body.subarray(2, 52);
  const nul = versionBytes.indexOf(0);
  const serverVersion = versionBytes.subarray(0, nul < 0 ? versionBytes.length : nul).toString('latin1');
  const createTimestamp = body.readUInt32LE(52);
  const headerLength = body[56]!;
  if (headerLength < EVENT_HEADER_LENGTH) throw new BinlogDecodeError(`format description says events have a ${headerLength}-byte header`);
  let checksumAlg: number | undefined;
  let lengthsEnd = body.length;
  if (versionHasChecksumAlg(serverVersion) && body.length >= FIXED_BODY + ALG_AND_CRC) {
    checksumAlg = body[body.length - ALG_AND_CRC]!;
    lengthsEnd = body.length - ALG_AND_CRC;
  }
  return {
    binlogVersion,
    serverVersion,
    createTimestamp,
    headerLength,
    postHeaderLengths: Uint8Array.from(body.subarray(FIXED_BODY, lengthsEnd)),
    checksumAlg,
    checksum: checksumAlg === ChecksumAlg.CRC32 ? 'crc32' : 'none',
    flavor: isMariadbVersion(serverVersion) ? 'mariadb' : 'mysql',
  };
}

/** Post-header length of `type`: from the FDE when it lists the type, else the v4 default. */
export function postHeaderLength(format: Pick<FormatDescription, 'postHeaderLengths'> | undefined, type: number): number {
  const listed = format?.postHeaderLengths[type - 1];
  return listed ?? DEFAULT_POST_HEADER_LENGTH[type] ?? 0;
}
