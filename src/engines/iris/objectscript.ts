/**
 * The ObjectScript snaplog feeds to `iris terminal <INSTANCE> -U%SYS` on stdin, and how it reads the
 * answers back. Pure. Every answer is a line `SNAPLOG:<KEY>=<value>`; the marker is written as
 * `"SNAP"_"LOG:…"` so that a terminal echoing its input never produces a line that looks like an answer.
 */

/** An ObjectScript string literal: quotes doubled. */
export function osString(text: string): string {
  if (/[\r\n]/.test(text)) throw new Error('an ObjectScript string literal cannot span lines');
  return `"${text.replace(/"/g, '""')}"`;
}

/** `write "SNAP"_"LOG:KEY=",<expression>,!` */
export function answer(key: string, expression: string): string {
  return `write "SNAP"_"LOG:${key}=",${expression},!`;
}

/** Reads the `SNAPLOG:KEY=value` answers out of a terminal transcript (prompts may precede them). */
export function parseAnswers(stdout: string): Map<string, string> {
  const answers = new Map<string, string>();
  for (const line of stdout.split(/\r?\n/)) {
    const match = /SNAPLOG:([A-Z_]+)=(.*)$/.exec(line);
    if (match) answers.set(match[1]!, match[2]!.trimEnd());
  }
  return answers;
}

/** The routine entry points the published Azure pre/post scripts call: exit status 5 = success, 3 = failure. */
export const EXTERNAL_FREEZE = '##Class(Backup.General).ExternalFreeze()';
export const EXTERNAL_THAW = '##Class(Backup.General).ExternalThaw()';

/** Whether the write daemons are suspended right now (an ExternalFreeze in force): 1 or 0. */
export function writeDaemonsSuspendedScript(): string[] {
  return [answer('WDS', '##class(Backup.General).IsWDSuspended()')];
}

/** Journal directory, current journal file, version. */
export function instanceInfoScript(): string[] {
  return [
    answer('DIR', '##class(%SYS.Journal.System).GetPrimaryDirectory()'),
    answer('CUR', '##class(%SYS.Journal.System).GetCurrentFileName()'),
    answer('VER', '$zversion'),
  ];
}

/** Closes the current journal file and starts the next one. */
export function switchJournalScript(): string[] {
  return [
    'set sc=##class(%SYS.Journal.System).SwitchFile()',
    answer('OK', '$system.Status.IsOK(sc)'),
    `if '$system.Status.IsOK(sc) ${answer('ERR', '$system.Status.GetErrorText(sc)')}`,
    answer('CUR', '##class(%SYS.Journal.System).GetCurrentFileName()'),
  ];
}

/** What a status answer says: ok, or the instance's error text. */
export function statusOf(answers: Map<string, string>): { ok: boolean; error?: string } {
  if (answers.get('OK') === '1') return { ok: true };
  return { ok: false, error: answers.get('ERR') ?? 'the instance gave no status (see the transcript)' };
}
