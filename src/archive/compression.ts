import { createGunzip, createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { SnaplogError } from '../errors.js';
import type { Compression } from './layout.js';

export async function zstdAvailable(): Promise<boolean> {
  try {
    await execa('zstd', ['--version']);
    return true;
  } catch {
    return false;
  }
}

export function compressChunks(chunks: AsyncIterable<Buffer>, compression: Compression): AsyncIterable<Buffer> {
  switch (compression) {
    case 'none':
      return chunks;
    case 'gzip':
      return Readable.from(chunks).pipe(createGzip({ level: 6 }));
    case 'zstd': {
      const child = execa('zstd', ['-q', '-3', '-c', '-T0'], { input: Readable.from(chunks), encoding: 'buffer', stripFinalNewline: false, buffer: false });
      return pipeChild(child);
    }
  }
}

export function decompressStream(stored: Readable, compression: Compression): Readable {
  switch (compression) {
    case 'none':
      return stored;
    case 'gzip':
      return stored.pipe(createGunzip());
    case 'zstd': {
      const child = execa('zstd', ['-q', '-d', '-c'], { input: stored, encoding: 'buffer', stripFinalNewline: false, buffer: false });
      return Readable.from(pipeChild(child));
    }
  }
}

type StreamingChild = ReturnType<typeof execa> & { stdout: Readable | null };

async function* pipeChild(child: StreamingChild): AsyncIterable<Buffer> {
  if (!child.stdout) throw new SnaplogError('zstd produced no output stream');
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    await child;
  } catch (error) {
    child.kill();
    throw new SnaplogError(`zstd failed: ${(error as Error).message}`, {
      hint: 'install zstd (apt-get install zstd) or set [archive] compression = gzip',
      cause: error,
    });
  }
}
