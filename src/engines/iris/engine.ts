/** InterSystems IRIS / Caché: journal files, journal switch, ExternalFreeze/ExternalThaw. */
import { hostname } from 'node:os';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SnaplogError, describeError } from '../../errors.js';
import type { LogObserver } from '../../archive/metadata.js';
import type { Engine, QuiesceContext, Quiesced, SourceLog } from '../types.js';
import type { IrisConfig } from './config.js';
import type { IrisClient } from './client.js';
import { EXTERNAL_FREEZE, EXTERNAL_THAW, instanceInfoScript, statusOf, switchJournalScript, writeDaemonsSuspendedScript } from './objectscript.js';
import { journalSourceLogs, listJournalNames } from './journal-files.js';
import { journalObserver } from './log-facts.js';

interface InstanceInfo {
  dir?: string;
  current?: string;
  version?: string;
}

export class IrisEngine implements Engine {
  readonly kind = 'iris';
  private lastListing: SourceLog[] = [];
  private knownDir: string | undefined;
  private version: string | undefined;

  constructor(
    private readonly config: IrisConfig,
    private readonly client: IrisClient,
    /** Names of this system's archived journals (so a journal compressed after shipping is not shipped again). */
    private readonly archivedNames: (systemId: string) => Promise<ReadonlySet<string>> = async () => new Set(),
  ) {}

  async systemId(): Promise<string> {
    if (this.config.systemId) return this.config.systemId;
    const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-');
    return `${this.config.flavour}-${host}-${this.config.instance}`;
  }

  private async instanceInfo(timeoutSeconds?: number): Promise<InstanceInfo> {
    const answers = await this.client.runScript(instanceInfoScript(), 'asking the instance for its journal', timeoutSeconds);
    const info = { dir: answers.get('DIR') || undefined, current: answers.get('CUR') || undefined, version: answers.get('VER') || undefined };
    if (info.version) this.version = info.version;
    return info;
  }

  /** [iris] journal_dir, else the instance's primary journal directory, else <install_dir>/mgr/journal. */
  private async journalDir(info: InstanceInfo | undefined): Promise<string> {
    if (this.config.journalDir) return this.config.journalDir;
    if (info?.dir) this.knownDir = info.dir;
    if (this.knownDir) return this.knownDir;
    if (this.config.installDir) return join(this.config.installDir, 'mgr', 'journal');
    throw new SnaplogError('the journal directory is unknown: the instance did not answer and no [iris] journal_dir or install_dir is set', {
      hint: 'set [iris] journal_dir = <the primary journal directory> (Management Portal > Journal Settings)',
    });
  }

  /** Every journal file but the one the instance is writing is closed. Without an answer from the instance, the newest counts as open. */
  async listSourceLogs(): Promise<SourceLog[]> {
    let info: InstanceInfo | undefined;
    let askError: unknown;
    try {
      info = await this.instanceInfo();
    } catch (error) {
      askError = error;
    }
    let dir: string;
    try {
      dir = await this.journalDir(info);
    } catch (error) {
      throw askError ?? error;
    }
    // Without the archive's answer, a compressed copy of a shipped journal would be shipped as well:
    // one journal twice in the archive, never one lost.
    const archived = await this.archivedNames(await this.systemId()).catch(() => new Set<string>());
    const logs = journalSourceLogs(dir, await listJournalNames(dir), info?.current, archived);
    this.lastListing = logs;
    return logs;
  }

  observeLog(log: SourceLog): LogObserver {
    const listed = this.lastListing.filter((candidate) => candidate.sequence < log.sequence);
    const predecessor = listed[listed.length - 1];
    return journalObserver(log.path, log.name, predecessor?.path);
  }

  async switchLog(): Promise<void> {
    const status = statusOf(await this.client.runScript(switchJournalScript(), 'switching the journal file'));
    if (!status.ok)
      throw new SnaplogError(`the instance refused to switch the journal file: ${status.error}`, {
        hint: 'is journaling enabled? see the instance messages.log',
      });
  }

  /** Best effort: the file's age when it has been written to since it was created. */
  async firstTransactionAgeSeconds(log: SourceLog): Promise<number | undefined> {
    const stats = await stat(log.path).catch(() => undefined);
    if (!stats || stats.birthtimeMs <= 0 || stats.mtimeMs - stats.birthtimeMs < 1000) return undefined;
    return Math.max(0, (Date.now() - stats.birthtimeMs) / 1000);
  }

  /**
   * ExternalFreeze (it switches the journal file); the snapshot stands at the start of the file it
   * switched to. A failed freeze is followed by ExternalThaw before the error is thrown, as the
   * published script does. Release = ExternalThaw.
   *
   * Every call here ends by the pre-step's deadline (and within call_timeout): ExternalFreeze gets the
   * time left, an answer later than that is undone, the new journal is read from the journal directory
   * (no terminal session while frozen), and any failure there thaws at once. The holder's watchdog runs
   * before ExternalFreeze is called, so a holder killed mid-call leaves no freeze behind.
   */
  async quiesce(budget?: QuiesceContext): Promise<Quiesced> {
    const deadlineMs = budget?.deadlineMs ?? Date.now() + this.config.freezeTimeoutSeconds * 1000;
    const secondsLeft = (): number => {
      const left = Math.min(this.config.callTimeoutSeconds, (deadlineMs - Date.now()) / 1000);
      if (left < 1) {
        throw new SnaplogError('no time left before the freeze deadline to call ExternalFreeze', {
          hint: 'shipping took the whole [workload] timeout: check the archive, or raise the timeout',
        });
      }
      return left;
    };
    let before: InstanceInfo | undefined;
    try {
      before = await this.instanceInfo(secondsLeft());
    } catch {
      before = undefined; // the freeze below says what is wrong
    }
    const dir = await this.journalDir(before);
    const newestBefore = await newestJournal(dir);
    const freezeBudget = secondsLeft();
    try {
      await this.client.runEntry(EXTERNAL_FREEZE, 'ExternalFreeze', freezeBudget);
    } catch (freezeError) {
      try {
        await this.client.runEntry(EXTERNAL_THAW, 'ExternalThaw after a failed ExternalFreeze');
      } catch (thawError) {
        throw new SnaplogError(`${describeError(freezeError)}; the ExternalThaw that followed failed too: ${describeError(thawError)}`, {
          hint: 'check the instance now (Backup.General IsWDSuspended); run snaplog thaw or call ExternalThaw by hand',
        });
      }
      throw freezeError;
    }
    let file: string | undefined;
    try {
      // The freeze protocol has given up by now: a freeze it cannot release must not stay.
      if (Date.now() > deadlineMs - 1000) {
        throw new SnaplogError('ExternalFreeze answered at the freeze deadline, too late for the snapshot: undone with ExternalThaw', {
          hint: 'the instance was slow to freeze (messages.log); raise [workload] timeout if this repeats',
        });
      }
      file = await newestJournal(dir);
      if (!file || file === newestBefore) {
        throw new SnaplogError(
          `ExternalFreeze did not switch the journal file (the newest in ${dir} is still ${file ?? 'none'}): the snapshot position is unknown`,
          {
            hint: 'ExternalFreeze must be called with SwitchJournalFile = 1 (the default); is journaling on? is [iris] journal_dir the primary journal directory?',
          },
        );
      }
    } catch (error) {
      await this.client.runEntry(EXTERNAL_THAW, 'ExternalThaw').catch(() => undefined);
      throw error;
    }
    return {
      position: { file, position: 0 },
      serverVersion: this.version ?? 'unknown',
      method: 'external-freeze',
      global: true,
      release: async () => {
        await this.client.runEntry(EXTERNAL_THAW, 'ExternalThaw');
      },
    };
  }

  /**
   * ExternalFreeze suspends the write daemons for the whole instance: any process can (and the watchdog
   * must) end it. Ending a freeze that is not in force is success: a failed ExternalThaw counts only
   * while the instance still says its write daemons are suspended.
   */
  async forceRelease(): Promise<void> {
    try {
      await this.client.runEntry(EXTERNAL_THAW, 'ExternalThaw (watchdog)');
    } catch (error) {
      const inForce = await this.globalFreezeInForce().catch(() => 'unknown');
      if (inForce !== undefined) throw error;
    }
  }

  async globalFreezeInForce(): Promise<string | undefined> {
    const answer = (await this.client.runScript(writeDaemonsSuspendedScript(), 'asking the instance whether it is frozen (IsWDSuspended)')).get('WDS');
    if (answer === '1') return "the instance's write daemons are suspended (Backup.General IsWDSuspended = 1): an ExternalFreeze is in force";
    if (answer === '0') return undefined;
    throw new SnaplogError(`the instance gave no clear answer to IsWDSuspended (${JSON.stringify(answer ?? null)})`, {
      hint: 'check the instance by hand: write ##class(Backup.General).IsWDSuspended() in a %SYS terminal',
    });
  }

  async close(): Promise<void> {
    // Each call is its own terminal session: nothing stays open.
  }
}

/** The journal the instance writes now: the newest in the directory (after a switch, the new one). */
async function newestJournal(dir: string): Promise<string | undefined> {
  const logs = journalSourceLogs(dir, await listJournalNames(dir), undefined);
  return logs[logs.length - 1]?.name;
}
