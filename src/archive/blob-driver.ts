import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { type ContainerClient, RestError } from '@azure/storage-blob';
import type { StorageDriver, StoredEntry, StoredFileInfo } from './storage.js';
import { scrubSecrets } from './blob-location.js';
import { archivePathSegments } from './names.js';

const BLOCK_BYTES = 8 * 1024 * 1024;

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return error instanceof RestError && statuses.includes(error.statusCode ?? 0);
}

/** An error the rest of snaplog can classify like a file-system one, without the SAS token or key in it. */
function translated(error: unknown, what: string): Error {
  if (isStatus(error, 404)) return Object.assign(new Error(`${what}: not found`), { code: 'ENOENT' });
  const status = error instanceof RestError ? error.statusCode : undefined;
  const code = error instanceof RestError ? (error.code ?? '') : '';
  const message = scrubSecrets(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  return Object.assign(new Error(`${what}: ${status ? `HTTP ${status} ` : ''}${code} ${message}`.trim()), {
    code: status === 403 || status === 401 ? 'EACCES' : status === undefined ? 'EIO' : `HTTP_${status}`,
  });
}

/**
 * The archive in an Azure Blob container, with the posix driver's rules: a blob appears under its name only
 * when whole (blocks staged, then one conditional commit), `create*` never replaces an existing blob
 * (If-None-Match: *), and each blob carries the sha256 of its stored bytes in its metadata.
 */
export class BlobDriver implements StorageDriver {
  constructor(
    private readonly container: ContainerClient,
    private readonly prefix: string,
    readonly location: string,
  ) {}

  /** The blob name of an archive path; a path that could leave the prefix ('..', empty segments) is refused. */
  private name(path: string): string {
    return [this.prefix, ...archivePathSegments(path)].filter(Boolean).join('/');
  }

  async stat(path: string): Promise<StoredFileInfo | undefined> {
    try {
      const properties = await this.container.getBlockBlobClient(this.name(path)).getProperties();
      return { size: properties.contentLength ?? 0, mtimeMs: properties.lastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw translated(error, `stat ${path}`);
    }
  }

  async list(dir: string): Promise<string[]> {
    return (await this.entries(dir)).map((entry) => entry.name);
  }

  /** Blobs are files and shared name prefixes are folders; there are no links. */
  async entries(dir: string): Promise<StoredEntry[]> {
    const base = this.name(dir);
    const prefix = base ? `${base}/` : '';
    const found: StoredEntry[] = [];
    try {
      for await (const item of this.container.listBlobsByHierarchy('/', { prefix })) {
        found.push({ name: item.name.slice(prefix.length).replace(/\/$/, ''), kind: item.kind === 'prefix' ? 'dir' : 'file' });
      }
    } catch (error) {
      throw translated(error, `list ${dir}`);
    }
    return found;
  }

  async readFile(path: string): Promise<Buffer> {
    try {
      return await this.container.getBlockBlobClient(this.name(path)).downloadToBuffer();
    } catch (error) {
      throw translated(error, `read ${path}`);
    }
  }

  openRead(path: string, range?: { start: number; end: number }): Readable {
    const output = new PassThrough({ highWaterMark: 1 << 20 });
    if (range && range.end <= range.start) return Readable.from([]);
    this.container
      .getBlockBlobClient(this.name(path))
      .download(range?.start ?? 0, range ? range.end - range.start : undefined)
      .then((response) => {
        const body = response.readableStreamBody;
        if (!body) throw new Error('no body');
        body.on('error', (error) => output.destroy(translated(error, `read ${path}`)));
        body.pipe(output);
      })
      .catch((error: unknown) => output.destroy(translated(error, `read ${path}`)));
    return output;
  }

  /** Stages the chunks as blocks; returns the block ids and the sha256 of the bytes, nothing visible yet. */
  private async stage(path: string, chunks: AsyncIterable<Buffer>): Promise<{ blockIds: string[]; sha256: string; size: number }> {
    const blob = this.container.getBlockBlobClient(this.name(path));
    const hash = createHash('sha256');
    const tag = randomBytes(6).toString('hex');
    const blockIds: string[] = [];
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0 && blockIds.length > 0) return;
      const block = Buffer.concat(pending, pendingBytes);
      const id = Buffer.from(`${tag}-${String(blockIds.length).padStart(6, '0')}`).toString('base64');
      await blob.stageBlock(id, block, block.length);
      blockIds.push(id);
      pending = [];
      pendingBytes = 0;
    };
    try {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= BLOCK_BYTES) await flush();
      }
      if (pendingBytes > 0 || blockIds.length === 0) await flush();
    } catch (error) {
      throw error instanceof RestError ? translated(error, `write ${path}`) : error;
    }
    return { blockIds, sha256: hash.digest('hex'), size };
  }

  async createFromStream(path: string, chunks: AsyncIterable<Buffer>): Promise<'created' | 'exists'> {
    if (await this.stat(path)) return 'exists';
    const staged = await this.stage(path, chunks);
    try {
      await this.container
        .getBlockBlobClient(this.name(path))
        .commitBlockList(staged.blockIds, { conditions: { ifNoneMatch: '*' }, metadata: { sha256: staged.sha256 } });
      return 'created';
    } catch (error) {
      // Uncommitted blocks are never visible and are discarded by the service.
      if (isStatus(error, 409, 412)) return 'exists';
      throw translated(error, `write ${path}`);
    }
  }

  createFile(path: string, content: Buffer | string): Promise<'created' | 'exists'> {
    return this.createFromStream(path, Readable.from([typeof content === 'string' ? Buffer.from(content) : content]));
  }

  async replaceFromStream(path: string, chunks: AsyncIterable<Buffer>): Promise<void> {
    const staged = await this.stage(path, chunks);
    try {
      await this.container.getBlockBlobClient(this.name(path)).commitBlockList(staged.blockIds, { metadata: { sha256: staged.sha256 } });
    } catch (error) {
      throw translated(error, `write ${path}`);
    }
  }

  replaceFile(path: string, content: Buffer | string): Promise<void> {
    return this.replaceFromStream(path, Readable.from([typeof content === 'string' ? Buffer.from(content) : content]));
  }

  async remove(path: string): Promise<void> {
    try {
      await this.container.getBlockBlobClient(this.name(path)).deleteIfExists();
    } catch (error) {
      throw translated(error, `remove ${path}`);
    }
  }

  /** Blob storage has no folders: a name with slashes is enough. */
  async ensureDir(): Promise<void> {}

  /** Staged but uncommitted blocks are invisible and expire by themselves: there are no temp files. */
  async removeAbandonedTemps(): Promise<string[]> {
    return [];
  }

  async freeBytes(): Promise<number | undefined> {
    return undefined;
  }

  /** sha256 of the stored bytes, as recorded at commit (for verification and tests). */
  async storedSha256(path: string): Promise<string | undefined> {
    try {
      return (await this.container.getBlockBlobClient(this.name(path)).getProperties()).metadata?.sha256;
    } catch (error) {
      throw translated(error, `stat ${path}`);
    }
  }
}
