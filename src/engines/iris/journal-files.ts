/** The journal files in the journal directory, and which of them is still open. */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SourceLog } from '../types.js';
import { journalSequence, journalStream, sortJournals } from './journal-names.js';

/**
 * Pure: source logs from the directory's names. `current` = the file the instance is writing (a bare
 * name or a path); when the instance cannot be asked it is undefined and the newest file counts as open.
 * Files after the current one (there should be none) are not closed either.
 */
export function journalSourceLogs(dir: string, names: string[], current: string | undefined): SourceLog[] {
  const journals = sortJournals(names);
  const currentName = current ? basename(current) : journals[journals.length - 1]?.name;
  const currentJournal = journals.find((journal) => journal.name === currentName);
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
