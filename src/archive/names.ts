import { SnaplogError } from '../errors.js';

/**
 * The one rule for every name that the archive turns into a path: log names, stored names, snapshot ids,
 * system ids. Real names fit it (mysql-bin.000042, 1_42_1093.arc, o1_mf_1_42_x_.arc, 20261122.003,
 * 20261130T012309Z-1a2b, a server_uuid); a slash, a leading dot, `..`, a control character or a
 * 200+ character name does not. Pure.
 */
const ARCHIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isArchiveName(name: unknown): name is string {
  return typeof name === 'string' && ARCHIVE_NAME.test(name) && !name.includes('..');
}

/** A name from hostile input, safe to print: quoted and escaped unless it already fits the rule. */
export function printableName(name: unknown): string {
  if (isArchiveName(name)) return name;
  const text = JSON.stringify(typeof name === 'string' ? name : String(name));
  return text.length > 120 ? `${text.slice(0, 117)}…"` : text;
}

export class UnsafeArchiveNameError extends SnaplogError {
  constructor(what: string, name: unknown) {
    super(`${what} ${printableName(name)} is not a valid archive name (letters, digits, '.', '_', '-'; no '..', no '/', at most 200 characters): refused`, {
      hint:
        'the archive entry was not written by snaplog (run snaplog verify to list such entries); ' +
        'a --system or [archive] system_id value must follow the same rule',
    });
  }
}

/** Returns the name when it fits the rule; throws otherwise (for names snaplog is about to turn into a path). */
export function checkArchiveName(name: unknown, what: string): string {
  if (!isArchiveName(name)) throw new UnsafeArchiveNameError(what, name);
  return name;
}

/**
 * One segment of a path relative to the archive root, as a storage driver accepts it: an archive name, or
 * snaplog's own dot-files (the marker, temp files). Never empty, '.', '..', or with a slash or control char.
 */
const PATH_SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;

/** A relative archive path, safe to print: as it is when every segment is plain, else quoted and escaped. */
function printablePath(path: string): string {
  return path.split('/').every((segment) => PATH_SEGMENT.test(segment) && segment !== '.' && segment !== '..') ? path : printableName(path);
}

export class UnsafeArchivePathError extends SnaplogError {
  constructor(path: string, why: string) {
    super(`archive path ${printablePath(path)} ${why}: refused`, {
      hint: 'something other than snaplog changed the archive (a symbolic link or a forged name); run snaplog verify, remove or fix that entry, then retry',
    });
  }
}

/** Splits a driver path ('.' = the root) into checked segments; throws for anything that could leave the root. */
export function archivePathSegments(path: string): string[] {
  if (path === '.' || path === '') return [];
  const segments = path.split('/');
  for (const segment of segments) {
    if (!PATH_SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw new UnsafeArchivePathError(path, 'leaves the archive or has an invalid segment');
    }
  }
  return segments;
}
