import { loadBinlogKeys } from '../engines/mysql/binlog-key.js';
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { SnaplogError, UsageError } from '../errors.js';
import { attach, detach } from '../attach/attach.js';
import { startPrivateServer } from '../engines/mysql/private-server.js';
import { loadPlan } from '../engines/mysql/restore/load-plan.js';
import { runRestore } from '../engines/mysql/restore/restore.js';
import { copyDatadir } from '../engines/mysql/restore/partial.js';
import { preflightDatadir } from '../engines/mysql/restore/preflight.js';
import { identifyDatadirSnapshot } from '../engines/mysql/restore/datadir-snapshot.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';

interface DrillOptions {
  datadir?: string;
  image?: string;
  scratch?: string;
  snapshot?: string;
  json?: boolean;
  system?: string;
  keep?: boolean;
}

/**
 * The restore rehearsal as one command: a scratch copy of a restored snapshot's data directory, every
 * archived log replayed onto it, CHECK TABLE on every table, and the recovery point reached.
 */
export function drillCommand(): Command {
  return withJsonOption(withConfigOption(new Command('drill')))
    .description('rehearse a restore: replay every archived log onto a scratch copy of a restored snapshot, CHECK every table, report the recovery point')
    .option('--datadir <dir>', "a restored snapshot's data directory (left unchanged: the drill works on a copy)")
    .option('--image <file>', "a restored snapshot's disk image (attached read-only for the copy)")
    .option('--scratch <dir>', 'a new (or empty) scratch folder; default: a new snaplog-drill-* folder here. What the drill puts there is removed afterwards unless --keep')
    .option('--keep', 'keep the scratch folder')
    .option('--snapshot <id>', 'the snapshot the data directory is, when snaplog cannot tell by itself')
    .option('--system <id>', 'system id in the archive')
    .action(async (options: DrillOptions, command: Command) => {
      if (!!options.datadir === !!options.image) throw new UsageError('give exactly one of --datadir DIR or --image FILE', 'the drill needs a restored snapshot to start from');
      const { config, events } = await loadContext(command);
      const archive = await openArchive(config);
      const systemId = await resolveSystemId(archive, config, options.system);
      const { scratch, createdScratch } = await openScratch(options.scratch);
      const datadir = join(scratch, 'datadir');
      const say = (line: string): void => {
        if (!options.json) process.stdout.write(`${line}\n`);
      };
      let mount: string | undefined;
      // Ctrl-C / SIGTERM: the replay stops between transactions and the private server shuts down before the drill ends.
      const stopping = new AbortController();
      const onSignal = (): void => stopping.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        let source = options.datadir ? resolve(options.datadir) : undefined;
        if (options.image) {
          mount = join(scratch, 'image-mnt');
          const attached = await attach({ kind: 'image', image: resolve(options.image) }, { mount, readOnly: true });
          if (attached.datadirs.length !== 1) throw new SnaplogError(`found ${attached.datadirs.length} data directories on ${options.image}`, { hint: 'attach it yourself and pass --datadir' });
          source = attached.datadirs[0]!.datadir;
        }
        const facts = await preflightDatadir(source!, { write: false });
        const identity = await identifyDatadirSnapshot(archive, systemId, facts, options.snapshot);
        say(identity.line);
        say(`copying ${source} to ${datadir}`);
        await copyDatadir(facts.datadir, datadir);
        if (mount) {
          await detach(mount);
          mount = undefined;
        }
        const keys = await loadBinlogKeys(config);
        const plan = await loadPlan(archive, systemId, { kind: 'latest' }, identity.snapshotId, keys?.reader);
        const stagingDir = join(scratch, 'staging');
        const result = await runRestore({ archive, systemId, plan, events, datadir, method: 'relay', stagingDir, binlogKeys: keys, say, signal: stopping.signal });
        if (stopping.signal.aborted) throw new SnaplogError('drill interrupted', { hint: 'run the drill again' });
        const server = await startPrivateServer({ runDir: join(scratch, 'check-run'), datadir, args: ['--skip-log-bin', '--skip-slave-start', '--server-id=4000000003'] });
        let check;
        try {
          check = await execa('mariadb-check', [`--socket=${server.socket}`, '--user=root', '--all-databases', '--check'], { reject: false });
        } finally {
          await server.stop();
        }
        const failures = check.stdout.split('\n').filter((line) => line.trim() && !/\bOK$/.test(line.trim()) && !/^(note|status|warning)\s*:/i.test(line.trim()) && /\s(error|corrupt)/i.test(line));
        const ok = check.exitCode === 0 && failures.length === 0;
        const report = {
          ok,
          snapshot: plan.snapshot.id,
          datadirSnapshot: identity.json,
          recoveryPoint: { gtid: result.gtidSlavePos ?? null, lastCommit: plan.restorable.to },
          logsReplayed: plan.logs.length,
          bytesReplayed: result.bytesReplayed,
          elapsedMs: result.elapsedMs,
          checkProblems: failures,
        };
        await events.emit('drill', ok ? 'info' : 'alert', report);
        if (options.json) printJson(report);
        else say(`drill ${ok ? 'OK' : 'FAILED'}: snapshot ${report.snapshot} + ${report.logsReplayed} logs → recovery point ${report.recoveryPoint.lastCommit} (GTID ${report.recoveryPoint.gtid ?? '?'}); CHECK TABLE ${failures.length ? failures.join('; ') : 'clean'}`);
        if (!ok) process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        if (mount) await detach(mount).catch(() => undefined);
        if (!options.keep) {
          if (createdScratch) await rm(scratch, { recursive: true, force: true });
          else for (const entry of ['datadir', 'staging', 'check-run', 'image-mnt']) await rm(join(scratch, entry), { recursive: true, force: true });
        }
      }
    });
}

/**
 * The drill's scratch folder: a new one, or an existing empty one (a mount point prepared for it). A
 * folder with anything in it is refused: the drill never deletes what it did not create.
 */
async function openScratch(given: string | undefined): Promise<{ scratch: string; createdScratch: boolean }> {
  // 0711: the private server runs as the data directory's owner and must reach the copy inside.
  if (!given) {
    const scratch = await mkdtemp(resolve('snaplog-drill-'));
    await chmod(scratch, 0o711); // trusted: a new or empty folder, checked above
    return { scratch, createdScratch: true };
  }
  const scratch = resolve(given);
  const existing = await lstat(scratch).catch(() => undefined);
  if (!existing) {
    await mkdir(scratch, { mode: 0o711 });
    return { scratch, createdScratch: true };
  }
  if (!existing.isDirectory() || (await readdir(scratch)).length > 0) {
    throw new UsageError(`--scratch ${given} exists and is not an empty folder`, 'give a new folder (the drill creates it) or an empty one: it deletes only what it created');
  }
  return { scratch, createdScratch: false };
}
