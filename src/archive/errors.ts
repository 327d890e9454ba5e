import { SnaplogError } from '../errors.js';

export class ArchiveNotMountedError extends SnaplogError {
  constructor(path: string) {
    super(`${path} has no .snaplog-archive marker: refusing to read or write there`, {
      hint: /^https?:\/\//.test(path)
        ? "check [archive] url (account, container, prefix); 'snaplog archive init' is only for a new, empty container"
        : `the share is probably not mounted: mount it (mount ${path}, or the share that holds it; findmnt ${path} shows what is mounted) and retry; ` +
          "'snaplog archive init' is only for a new share, once it is mounted",
    });
  }
}

/**
 * 'close-marker-only': the copies differ only in the bytes the server changes when it finishes closing a
 * log (the binlog in-use flag); 'different': another log under the same name.
 */
export type DuplicateKind = 'close-marker-only' | 'different';

const DUPLICATE_HINTS: Record<DuplicateKind, string> = {
  'close-marker-only':
    'the same log, copied before the server had finished closing it: snaplog ship replaces the archived copy by itself once the server has closed ' +
    'the file cleanly (its in-use flag clear). If this persists, the server still marks its file open (it was restarted after a crash): ' +
    'the archived copy is kept and is complete; check the archive is writable and run snaplog ship --once and snaplog verify. ' +
    'Do not change [archive] system_id for this',
  different:
    'a different log under the same name: a server restored from a snapshot or a failed-over replica reuses binlog names. Give the new ' +
    'server its own [archive] system_id (or archive path), then run snaplog ship again; the archived logs stay as they are',
};

export class ArchiveDuplicateError extends SnaplogError {
  constructor(
    readonly logName: string,
    detail: string,
    readonly kind: DuplicateKind = 'different',
  ) {
    super(`${logName} already archived with a different checksum (${detail}); the archived copy is kept, this one is not shipped`, {
      hint: DUPLICATE_HINTS[kind],
    });
  }
}

export class ArchiveFullError extends SnaplogError {
  constructor(path: string, cause: unknown) {
    super(`no space left in the archive at ${path}`, {
      hint: 'free space on the archive (or grow the share); shipping retries by itself and catches up, source logs are kept meanwhile',
      cause,
    });
  }
}

export class ArchiveReadOnlyError extends SnaplogError {
  constructor(path: string, cause: unknown) {
    super(`the archive at ${path} is not writable (${(cause as Error).message})`, {
      hint: 'check that the NFS share is mounted read-write and that this user may write to it',
      cause,
    });
  }
}

/** Maps file-system errors of a write to the archive to typed errors an operator understands. */
export function classifyWriteError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new ArchiveFullError(path, error);
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return new ArchiveReadOnlyError(path, error);
  return error;
}
