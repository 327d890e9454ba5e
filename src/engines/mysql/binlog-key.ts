import type { LogObserver } from '../../archive/metadata.js';
import { readBinlogKeyFile } from './config.js';
import type { SnaplogConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import { binlogKeyFromKeyFile } from './binlog/decrypt.js';
import type { BinlogKey } from './binlog/decrypt.js';
import { DecryptingFramer } from './binlog/decrypting-stream.js';
import type { ServerKeyFile } from './private-server.js';

/** The key of `[mysql] binlog_key_file`: for snaplog's reader, and as the file a private server loads. */
export interface BinlogKeys {
  reader: BinlogKey;
  server: ServerKeyFile;
}

/** Undefined when the binlogs are not encrypted (no key set); a key file snaplog cannot use is a config error. */
export async function loadBinlogKeys(config: SnaplogConfig): Promise<BinlogKeys | undefined> {
  const text = await readBinlogKeyFile(config);
  if (text === undefined) return undefined;
  const algorithm = config.mysql?.binlogKeyAlgorithm ?? 'aes_cbc';
  try {
    return { reader: binlogKeyFromKeyFile(text, algorithm === 'aes_ctr' ? 'ctr' : 'cbc'), server: { text, algorithm } };
  } catch (error) {
    throw new ConfigError(
      config.locate('mysql', 'binlog_key_file'),
      (error as Error).message,
      "give the server's file_key_management_filename (lines id;hex-key, key 1 encrypts binlogs)",
    );
  }
}

export async function loadBinlogKey(config: SnaplogConfig): Promise<BinlogKey | undefined> {
  return (await loadBinlogKeys(config))?.reader;
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
