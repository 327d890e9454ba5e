/** The journal files in the journal directory, and which of them is still open. */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SourceLog } from '../types.js';
import { journalSequence, journalStream, parseJournalName, sortJournals } from './journal-names.js';
import type { JournalName } from './journal-names.js';

/**
 * Pure: source logs from the directory's names. `current` = the file the instance is writing (a bare
 * name or a path); when the instance cannot be asked it is undefined and the newest file counts as open.
 * Files after the current one (there should be none) are not closed either.
 *
 * One source log per journal. A compressed copy (`<name>z`) appears while IRIS compresses a closed
 * journal and replaces it afterwards. A journal already in the archive (`archived`, either spelling) is
 * never shipped twice: it is listed under its archived spelling while that file is on disk (so its
 * identity can be checked) and left out once only the other spelling is. A journal not yet archived is
 * listed as the uncompressed file (complete, whereas `<name>z` may still be being written), else as the
 * compressed one.
 */
export function journalSourceLogs(dir: string, names: string[], current: string | undefined, archived: ReadonlySet<string> = new Set()): SourceLog[] {
  const byKey = new Map<string, JournalName[]>();
  for (const journal of sortJournals(names)) byKey.set(journal.key, [...(byKey.get(journal.key) ?? []), journal]);
  const archivedKeys = new Set([...archived].flatMap((name) => parseJournalName(name)?.key ?? []));
  const journals = [...byKey.entries()].flatMap(([key, spellings]) => {
    if (archivedKeys.has(key)) return spellings.filter((journal) => archived.has(journal.name)).slice(0, 1);
    return [spellings.find((journal) => !journal.compressed) ?? spellings[0]!];
  });
  const currentName = current ? basename(current) : journals[journals.length - 1]?.name;
  const currentJournal = journals.find((journal) => journal.key === currentName);
  const openFrom = currentJournal ? journalSequence(currentJournal) : Number.POSITIVE_INFINITY;
  return journals.map((journal) => ({
    name: journal.name,
    path: join(dir, journal.name),
    sequence: journalSequence(journal),
    stream: journalStream(journal),
    closed: journalSequence(journal) < openFrom,
  }));
}

export async function listJournalNames(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
}
