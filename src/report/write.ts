import { writeFileAtomic } from '../safe-files.js';

/** The report replaces its file whole: a reader never sees half a page, and a symlink at the name is replaced, not followed. */
export function writeReportFile(target: string, content: string): Promise<void> {
  return writeFileAtomic(target, content, { mode: 0o644 });
}
