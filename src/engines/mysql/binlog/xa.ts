import { needBytes } from './errors.js';

/**
 * XA transaction ids. An XA transaction is two binlog transactions: `XA START … XA END` + `XA PREPARE`
 * (ended by an XA_PREPARE event, type 38), and later `XA COMMIT` or `XA ROLLBACK` (a QUERY event),
 * possibly in another file. Both MySQL and MariaDB 10.5+ write it so.
 */

export type XaPhase = 'prepare' | 'commit' | 'rollback';

/** What an XA step in the binlog did, and to which XID (`X'gtrid',X'bqual',formatID`, as MariaDB prints it). */
export interface XaStep {
  phase: XaPhase;
  xid: string;
}

/** The one text form of an XID: SQL that `XA COMMIT` / `XA ROLLBACK` / `XA RECOVER FORMAT='SQL'` accept and print. */
export function xidText(formatId: number, gtrid: Buffer, bqual: Buffer): string {
  return `X'${gtrid.toString('hex')}',X'${bqual.toString('hex')}',${formatId}`;
}

/**
 * XA_PREPARE_LOG_EVENT body (MySQL libbinlogevents control_events.h XA_prepare_event; MariaDB
 * XA_prepare_log_event, the same layout): one_phase u8, formatID u32, gtrid_length u32, bqual_length u32,
 * data[gtrid_length + bqual_length]. one_phase set = `XA COMMIT … ONE PHASE`: the transaction committed.
 */
export function decodeXaPrepare(body: Buffer): { onePhase: boolean; xid: string } {
  needBytes(body, 13, 'XA_PREPARE event');
  const gtridLength = body.readUInt32LE(5);
  const bqualLength = body.readUInt32LE(9);
  needBytes(body, 13 + gtridLength + bqualLength, 'XA_PREPARE event');
  const gtrid = body.subarray(13, 13 + gtridLength);
  const bqual = body.subarray(13 + gtridLength, 13 + gtridLength + bqualLength);
  return { onePhase: body[0] !== 0, xid: xidText(body.readInt32LE(1), gtrid, bqual) };
}

/** One XID part as SQL writes it: 'text', X'hex' or 0xhex. */
const PART = String.raw`(?:'((?:[^'\\]|\\.|'')*)'|[xX]'([0-9a-fA-F]*)'|0x([0-9a-fA-F]+))`;
const XA_END_STATEMENT = new RegExp(String.raw`^\s*XA\s+(COMMIT|ROLLBACK)\s+${PART}(?:\s*,\s*${PART}(?:\s*,\s*(-?\d+))?)?`, 'i');

function partBytes(quoted: string | undefined, hex: string | undefined, hex0x: string | undefined): Buffer {
  if (quoted !== undefined) return Buffer.from(quoted.replace(/''/g, "'").replace(/\\(.)/g, '$1'), 'utf8');
  const digits = hex ?? hex0x ?? '';
  return Buffer.from(digits.length % 2 ? `0${digits}` : digits, 'hex');
}

/**
 * `XA COMMIT 'x'` / `XA ROLLBACK X'78',X'',1` → the step; undefined when the text is not one (`XA COMMIT … ONE PHASE`
 * is never such a statement in a binlog: it is written as a prepare event with one_phase set).
 */
export function xaStepOfStatement(text: string): XaStep | undefined {
  const match = XA_END_STATEMENT.exec(text);
  if (!match) return undefined;
  const gtrid = partBytes(match[2], match[3], match[4]);
  const bqual = partBytes(match[5], match[6], match[7]);
  return { phase: match[1]!.toUpperCase() === 'COMMIT' ? 'commit' : 'rollback', xid: xidText(match[8] === undefined ? 1 : Number(match[8]), gtrid, bqual) };
}
