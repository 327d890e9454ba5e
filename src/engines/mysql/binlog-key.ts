import type { LogObserver } from '../../archive/metadata.js';
import { readBinlogKeyFile } from '../../config/index.js';
import type { SnaplogConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import { binlogKeyFromKeyFile } from './binlog/decrypt.js';
import type { BinlogKey } from './binlog/decrypt.js';
import { DecryptingFramer } from './binlog/decrypting-stream.js';

/** The key of `[mysql] binlog_key_file`, parsed; undefined when the binlogs are not encrypted (no key set). */
export async function loadBinlogKey(config: SnaplogConfig): Promise<BinlogKey | undefined> {
  const text = await readBinlogKeyFile(config);
  if (text === undefined) return undefined;
  const location = config.locate('mysql', 'binlog_key_file');
  try {
    return binlogKeyFromKeyFile(text, config.mysql?.binlogKeyAlgorithm === 'aes_ctr' ? 'ctr' : 'cbc');
  } catch (error) {
    throw new ConfigError(location, (error as Error).message, "give the server's file_key_management_filename (lines id;hex-key, key 1 encrypts binlogs)");
  }
}

/** An observer that sees the plain binlog while the archive copies the server's encrypted bytes. */
export function decryptingObserver(inner: LogObserver, key: BinlogKey): LogObserver {
  const framer = new DecryptingFramer(key, (chunk) => inner.push(chunk));
  return {
    push: (chunk) => framer.push(chunk),
    finish: () => {
      framer.finish();
      return inner.finish();
    },
  };
}
