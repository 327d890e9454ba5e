import { createGunzip, createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execFile, spawn } from 'node:child_process';
import { SnaplogError } from '../errors.js';
import type { Compression } from './layout.js';

export function zstdAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile('zstd', ['--version'], (error) => resolve(!error)));
}

export function compressChunks(chunks: AsyncIterable<Buffer>, compression: Compression): AsyncIterable<Buffer> {
  switch (compression) {
    case 'none':
      return chunks;
    case 'gzip': {
      // pipeline, not pipe: a read error of the source ends the compressed stream with that error.
      const gzip = createGzip({ level: 6 });
      pipeline(Readable.from(chunks), gzip).catch(() => undefined);
      return gzip;
    }
    case 'zstd':
      return throughZstd(['-q', '-3', '-c', '-T0'], chunks);
  }
}

export function decompressStream(stored: Readable, compression: Compression): Readable {
  switch (compression) {
    case 'none':
      return stored;
    case 'gzip':
      return stored.pipe(createGunzip());
    case 'zstd':
      return Readable.from(throughZstd(['-q', '-d', '-c'], stored));
  }
}

/** Streams `input` through a zstd child process (no shell); a failure names zstd's own words. */
async function* throughZstd(args: string[], input: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const child = spawn('zstd', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const fed = pipeline(Readable.from(input), child.stdin).then(
    () => undefined,
    (error: unknown) => error,
  );
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    const feedError = await fed;
    if (code !== 0) throw new Error(`exit ${code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    if (feedError) throw feedError;
    finished = true;
  } catch (error) {
    throw new SnaplogError(`zstd failed: ${(error as Error).message}`, {
      hint: 'install zstd (apt-get install zstd) or set [archive] compression = gzip',
      cause: error,
    });
  } finally {
    if (!finished) child.kill();
  }
}
