import { open } from 'node:fs/promises';
import { basename } from 'node:path';

/**
 * The binlog position InnoDB records with each commit (MariaDB ≥ 10.3: in the rollback segment header
 * pages; crash recovery prints it as "Last binlog file …, position …"). Read straight from the system
 * tablespace's pages, without applying the redo log, it is a lower bound: a crash image's pages may be
 * older than its redo. So it can prove that a data directory holds commits after a snapshot, never that
 * it does not.
 */
export interface InnodbBinlogPosition {
  file: string;
  position: number;
}

const FIL_PAGE_LSN = 16;
const FIL_PAGE_DATA = 38;
const FSP_SPACE_FLAGS = FIL_PAGE_DATA + 16;
const TRX_SYS_PAGE = 5;
const TRX_SYS_RSEGS = FIL_PAGE_DATA + 18;
const TRX_SYS_N_RSEGS = 128;
const TRX_RSEG_UNDO_SLOTS = FIL_PAGE_DATA + 34;
const TRX_RSEG_BINLOG_NAME_LEN = 512;
const FIL_NULL = 0xffffffff;

/** Pure: the page size from page 0's FSP flags (MariaDB full_crc32 and the older format agree on the bits used here). */
export function innodbPageSize(page0: Buffer): number {
  const flags = page0.readUInt32BE(FSP_SPACE_FLAGS);
  const ssize = (flags >> 6) & 0xf;
  return ssize ? 512 << ssize : 16384;
}

/** Pure: the binlog name/offset of one rollback segment header page, with the page's LSN. */
export function rsegBinlogPosition(page: Buffer): { file: string; position: number; lsn: bigint } | undefined {
  const maxTrxId = TRX_RSEG_UNDO_SLOTS + (page.length / 16) * 4;
  const nameAt = maxTrxId + 16;
  if (nameAt + TRX_RSEG_BINLOG_NAME_LEN > page.length || page[nameAt] === 0) return undefined;
  const raw = page.subarray(nameAt, nameAt + TRX_RSEG_BINLOG_NAME_LEN);
  const end = raw.indexOf(0);
  const name = basename(raw.subarray(0, end < 0 ? raw.length : end).toString('latin1'));
  if (!/^[A-Za-z0-9._-]+\.\d+$/.test(name)) return undefined;
  return { file: name, position: Number(page.readBigUInt64BE(maxTrxId + 8)), lsn: page.readBigUInt64BE(FIL_PAGE_LSN) };
}

/** Reads ibdata1's rollback segment headers (system tablespace only); undefined when none records a position. */
export async function readInnodbBinlogPosition(ibdata1: string): Promise<InnodbBinlogPosition | undefined> {
  const handle = await open(ibdata1, 'r');
  try {
    const page0 = Buffer.alloc(16384);
    if ((await handle.read(page0, 0, page0.length, 0)).bytesRead < FSP_SPACE_FLAGS + 4) return undefined;
    const pageSize = innodbPageSize(page0);
    const readPage = async (no: number): Promise<Buffer | undefined> => {
      const page = Buffer.alloc(pageSize);
      return (await handle.read(page, 0, pageSize, no * pageSize)).bytesRead === pageSize ? page : undefined;
    };
    const sys = await readPage(TRX_SYS_PAGE);
    if (!sys) return undefined;
    let best: { file: string; position: number; lsn: bigint } | undefined;
    for (let slot = 0; slot < TRX_SYS_N_RSEGS; slot++) {
      const space = sys.readUInt32BE(TRX_SYS_RSEGS + slot * 8);
      const pageNo = sys.readUInt32BE(TRX_SYS_RSEGS + slot * 8 + 4);
      if (space !== 0 || pageNo === FIL_NULL || pageNo === 0) continue;
      const page = await readPage(pageNo);
      const found = page ? rsegBinlogPosition(page) : undefined;
      if (found && (!best || found.lsn > best.lsn)) best = found;
    }
    return best ? { file: best.file, position: best.position } : undefined;
  } finally {
    await handle.close();
  }
}
