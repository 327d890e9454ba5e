import { createCipheriv, createDecipheriv } from 'node:crypto';
import { BinlogDecodeError } from './errors.js';

/**
 * MariaDB binlog encryption (encrypt_binlog = ON), as the server writes it (sql/log_event.cc,
 * Log_event_writer::write_header/encrypt_and_write/maybe_write_event_len; mysys_ssl/my_crypt.cc,
 * MyCTX_nopad). After the START_ENCRYPTION event (scheme u8, key_version u32, nonce[12]) every event is
 * encrypted whole except its length:
 * - the timestamp (bytes 0–3) is moved to the length field (bytes 9–12), then bytes 4.. are encrypted with
 *   AES in the key file's mode (CBC by default) without padding, IV = nonce ‖ u32le(the event's file offset);
 * - the ciphertext of bytes 9–12 is stored at bytes 0–3 and the plain event length at 9–12, so the events
 *   frame as usual;
 * - a trailing partial block is XORed with AES-ECB(key, IV) (CBC), the CRC32 trailer is encrypted too.
 */
export interface BinlogEncryption {
  scheme: number;
  keyVersion: number;
  nonce: Buffer;
}

export type AesMode = 'cbc' | 'ctr';

export interface BinlogKey {
  key: Buffer;
  mode: AesMode;
}

const NONCE_LENGTH = 12;
const BLOCK = 16;
/** The key id MariaDB encrypts binlogs with (ENCRYPTION_KEY_SYSTEM_DATA). */
export const BINLOG_KEY_ID = 1;

export function decodeStartEncryption(body: Buffer): BinlogEncryption {
  if (body.length < 5 + NONCE_LENGTH) throw new BinlogDecodeError(`START_ENCRYPTION event body is ${body.length} bytes, expected ${5 + NONCE_LENGTH}`);
  return { scheme: body[0]!, keyVersion: body.readUInt32LE(1), nonce: Buffer.from(body.subarray(5, 5 + NONCE_LENGTH)) };
}

/** Pure: the key with id 1 from a file_key_management key file (`id;hex` lines, `#` comments). */
export function binlogKeyFromKeyFile(text: string, mode: AesMode = 'cbc'): BinlogKey {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(\d+);([0-9a-fA-F]+)$/.exec(line);
    if (!match)
      throw new BinlogDecodeError(
        'the key file has a line that is not "id;hex-key" (an encrypted key file needs file_key_management_filekey: give snaplog the decrypted file)',
      );
    if (Number(match[1]) !== BINLOG_KEY_ID) continue;
    const key = Buffer.from(match[2]!, 'hex');
    if (![16, 24, 32].includes(key.length)) throw new BinlogDecodeError(`key ${BINLOG_KEY_ID} is ${key.length} bytes: AES needs 16, 24 or 32`);
    return { key, mode };
  }
  throw new BinlogDecodeError(`the key file has no key ${BINLOG_KEY_ID}, the one MariaDB encrypts binlogs with`);
}

function ivFor(encryption: BinlogEncryption, position: number): Buffer {
  const iv = Buffer.alloc(BLOCK);
  encryption.nonce.copy(iv, 0);
  iv.writeUInt32LE(position >>> 0, NONCE_LENGTH);
  return iv;
}

function cipherName(key: BinlogKey, mode: 'cbc' | 'ctr' | 'ecb'): string {
  return `aes-${key.key.length * 8}-${mode}`;
}

function decryptNopad(data: Buffer, key: BinlogKey, iv: Buffer): Buffer {
  if (key.mode === 'ctr') {
    const decipher = createDecipheriv(cipherName(key, 'ctr'), key.key, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  }
  const whole = data.length - (data.length % BLOCK);
  const decipher = createDecipheriv(cipherName(key, 'cbc'), key.key, iv).setAutoPadding(false);
  const head = Buffer.concat([decipher.update(data.subarray(0, whole)), decipher.final()]);
  if (whole === data.length) return head;
  const maskCipher = createCipheriv(cipherName(key, 'ecb'), key.key, null).setAutoPadding(false);
  const mask = Buffer.concat([maskCipher.update(iv), maskCipher.final()]);
  const tail = Buffer.alloc(data.length - whole);
  for (let i = 0; i < tail.length; i++) tail[i] = data[whole + i]! ^ mask[i]!;
  return Buffer.concat([head, tail]);
}

const LENGTH_OFFSET = 9;

/** Pure: one stored (encrypted) event, whole, at file offset `position` → the event as it was before encryption. */
export function decryptEvent(stored: Buffer, position: number, encryption: BinlogEncryption, key: BinlogKey): Buffer {
  if (stored.length < 19) throw new BinlogDecodeError(`encrypted event at ${position} is ${stored.length} bytes, shorter than a header`);
  const cipherText = Buffer.from(stored.subarray(4));
  stored.copy(cipherText, LENGTH_OFFSET - 4, 0, 4);
  const plain = decryptNopad(cipherText, key, ivFor(encryption, position));
  const event = Buffer.alloc(stored.length);
  plain.copy(event, 4);
  event.copy(event, 0, LENGTH_OFFSET, LENGTH_OFFSET + 4);
  event.writeUInt32LE(stored.length, LENGTH_OFFSET);
  return event;
}
