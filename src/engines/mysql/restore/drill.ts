import { loadBinlogKeys } from '../binlog-key.js';
import { join, resolve } from 'node:path';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { SnaplogError, UsageError } from '../../../errors.js';
import type { DrillReport, DrillRequest, EngineDrill } from '../../types.js';
import { startPrivateServer } from '../private-server.js';
import { loadPlan } from './load-plan.js';
import { restoreEventFields, restoreStartOf, runRestore } from './restore.js';
import { restoreEvents } from '../../restore-events.js';
import { copyDatadir } from './partial.js';
import { preflightDatadir } from './preflight.js';
import { identifyDatadirSnapshot } from './datadir-snapshot.js';

/**
 * The restore rehearsal (`snaplog drill`): a scratch copy of a restored snapshot's data directory, every
 * archived log replayed onto it, CHECK TABLE on every table, and the recovery point reached.
 */
async function drill(request: DrillRequest): Promise<DrillReport> {
  const { config, archive, systemId, events, say } = request;
  const { scratch, createdScratch } = await openScratch(request.scratch);
  const datadir = join(scratch, 'datadir');
  let mount: string | undefined;
  try {
    let source = request.datadir ? resolve(request.datadir) : undefined;
    const image = request.image;
    if (image) {
      mount = join(scratch, 'image-mnt');
      const datadirs = await image.attach(mount);
      if (datadirs.length !== 1)
        throw new SnaplogError(`found ${datadirs.length} data directories on ${image.path}`, { hint: 'attach it yourself and pass --datadir' });
      source = datadirs[0]!;
    }
    const facts = await preflightDatadir(source!, { write: false });
    const identity = await identifyDatadirSnapshot(archive, systemId, facts, request.snapshotId);
    say(identity.line);
    say(`copying ${source} to ${datadir}`);
    await copyDatadir(facts.datadir, datadir);
    if (mount) {
      await image!.detach(mount);
      mount = undefined;
    }
    const keys = await loadBinlogKeys(config);
    const plan = await loadPlan(archive, systemId, { kind: 'latest' }, identity.snapshotId, keys?.reader);
    const stagingDir = join(scratch, 'staging');
    // The replay emits the same restore events as snaplog restore.
    const start = await restoreStartOf(datadir, plan, 'relay', false);
    const run = restoreEvents(events, { engine: 'mysql', systemId }, restoreEventFields(plan, 'relay', start));
    const failure: Record<string, unknown> = {};
    await run.started();
    const replay = {
      archive,
      systemId,
      plan,
      events,
      datadir,
      method: 'relay' as const,
      stagingDir,
      binlogKeys: keys,
      say,
      signal: request.signal,
      start,
      failure,
    };
    const result = await runRestore(replay).catch(async (error: unknown) => {
      await run.failed(error, failure);
      throw error;
    });
    await run.ended({ fields: { stop: plan.stop, gtidSlavePos: result.gtidSlavePos ?? '' } });
    if (request.signal.aborted) throw new SnaplogError('drill interrupted', { hint: 'run the drill again' });
    const server = await startPrivateServer({
      runDir: join(scratch, 'check-run'),
      datadir,
      args: ['--skip-log-bin', '--skip-slave-start', '--server-id=4000000003'],
    });
    let check;
    try {
      check = await execa('mariadb-check', [`--socket=${server.socket}`, '--user=root', '--all-databases', '--check'], { reject: false });
    } finally {
      await server.stop();
    }
    const failures = check.stdout
      .split('\n')
      .filter((line) => line.trim() && !/\bOK$/.test(line.trim()) && !/^(note|status|warning)\s*:/i.test(line.trim()) && /\s(error|corrupt)/i.test(line));
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
    const summary =
      `drill ${ok ? 'OK' : 'FAILED'}: snapshot ${report.snapshot} + ${report.logsReplayed} logs → recovery point ${report.recoveryPoint.lastCommit} ` +
      `(GTID ${report.recoveryPoint.gtid ?? '?'}); CHECK TABLE ${failures.length ? failures.join('; ') : 'clean'}`;
    return { ...report, summary };
  } finally {
    if (mount) await request.image?.detach(mount).catch(() => undefined);
    if (!request.keep) {
      if (createdScratch) await rm(scratch, { recursive: true, force: true });
      else for (const entry of ['datadir', 'staging', 'check-run', 'image-mnt']) await rm(join(scratch, entry), { recursive: true, force: true });
    }
  }
}

export const mysqlDrill: EngineDrill = { drill };

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
    throw new UsageError(
      `--scratch ${given} exists and is not an empty folder`,
      'give a new folder (the drill creates it) or an empty one: it deletes only what it created',
    );
  }
  return { scratch, createdScratch: false };
}
