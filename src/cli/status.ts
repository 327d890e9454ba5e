import { Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../config/index.js';
import { createEngine } from '../engines/registry.js';
import { defaultMaxLag, evaluateStatus } from '../status/evaluate.js';
import type { StatusReport } from '../status/evaluate.js';
import { gatherStatus } from '../status/gather.js';
import { showInstant, showSeconds } from './instant-display.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext } from './context.js';

function parseSeconds(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new InvalidArgumentError('expected seconds (900) or a duration like 15m or 1h');
  return seconds;
}

export function statusCommand(): Command {
  return withJsonOption(withConfigOption(new Command('status')))
    .description("live: the server's open log and last commit, the archive's last shipped commit, the ship service, lag, RPO and the restorable window")
    .option(
      '--max-lag <seconds>',
      'exit 1 when the oldest commit not in the archive is older than this (900, 15m; default: max_log_age + a margin)',
      parseSeconds,
    )
    .addHelpText(
      'after',
      `
Asks the database (its logs, the open one's last commit, the GTID) and reads the archive itself; the ship
service's heartbeat (<ipc_folder>/ship-heartbeat.json) tells whether it runs. Exit 1 when shipping is
stale (lag above --max-lag), the service is stopped or dead, the last round failed, logs were purged
before they were shipped, or the database or archive cannot be read. Times are UTC, then local time.
  lag  age of the oldest commit the archive does not hold yet (0 when caught up)
  RPO  what a loss of the server now would cost: seconds since the last shipped commit, while newer commits exist`,
    )
    .action(async (options: { json?: boolean; maxLag?: number }, command: Command) => {
      const { config } = await loadContext(command);
      const fallback = defaultMaxLag(config.ship);
      const maxLag = options.maxLag === undefined ? fallback : { seconds: options.maxLag, source: 'from --max-lag' };
      const report = evaluateStatus(await gatherStatus(config, () => createEngine(config), maxLag));
      if (options.json) printJson(report);
      else process.stdout.write(statusText(report));
      if (!report.ok) process.exitCode = 1;
    });
}

function instant(iso: string | null | undefined, none = 'none'): string {
  return iso ? showInstant(iso) : none;
}

/** The report for a person: one fact a line, problems last. */
export function statusText(report: StatusReport): string {
  const { server, archive } = report;
  const lines: string[] = [`system:        ${report.systemId ?? 'unknown'}`];
  if (server.reachable) {
    const what = server.lastCommitEstimated ? 'last write' : 'last commit';
    const commit = server.lastCommit ? `${what} ${instant(server.lastCommit)}` : 'no transaction in it yet';
    const gtid = server.transactionId ? `, GTID ${server.transactionId}` : '';
    lines.push(`server:        ${server.openLog ?? '?'} open (${server.openLogSize ?? '?'} bytes), ${commit}${gtid}`);
  } else lines.push(`server:        UNREACHABLE: ${server.error}`);
  if (archive.error) lines.push(`archive:       UNREADABLE (${archive.location}): ${archive.error}`);
  else lines.push(`archive:       ${archive.location}: ${archive.logs} logs`);
  lines.push(`last shipped:  ${report.lastShipped ? `${report.lastShipped.name}, last commit ${instant(report.lastShipped.time)}` : 'nothing yet'}`);
  const unshipped = server.unshipped.length ? ` (not yet in the archive: ${server.unshipped.join(', ')})` : '';
  const rpo = report.rpoSeconds === null ? 'unknown' : report.rpoSeconds === 0 ? '0 s (caught up)' : `${showSeconds(report.rpoSeconds)}${unshipped}`;
  lines.push(`RPO now:       ${rpo}`);
  const lag = report.lagSeconds === null ? 'unknown' : showSeconds(report.lagSeconds);
  lines.push(`lag:           ${lag} (limit ${report.maxLagSeconds} s, ${report.maxLagSource})`);
  const window = report.restorable;
  const restorable = window
    ? `from ${instant(window.from)} to ${instant(window.to)} (snapshot ${window.snapshotId})`
    : 'nothing yet: no usable snapshot with its logs';
  lines.push(`restorable:    ${restorable}`);
  lines.push(`ship service:  ${serviceLine(report)}`);
  lines.push(`freeze:        ${report.freeze.state}`);
  for (const warning of report.warnings) lines.push(`warning:       ${warning}`);
  for (const problem of report.problems) lines.push(`PROBLEM:       ${problem}`);
  if (!report.ok) lines.push(`HINT: ${hintFor(report)}`);
  return `${lines.join('\n')}\n`;
}

function serviceLine(report: StatusReport): string {
  const service = report.service;
  const beat = service.heartbeatAt ? `last heartbeat ${instant(service.heartbeatAt)}, ${service.heartbeatAgeSeconds} s ago` : '';
  switch (service.state) {
    case 'running':
      return `running (pid ${service.pid}, ${beat})`;
    case 'stalled':
      return `STALLED (pid ${service.pid} alive, ${beat})`;
    case 'stopped':
      return `STOPPED at ${instant(service.stoppedAt)}`;
    case 'dead':
      return `NOT RUNNING (pid ${service.pid} is gone; ${beat})`;
    case 'never-ran':
      return 'has never run here (only ship --once runs, if any)';
  }
}

/** What to do next, for the first problem that has a clear next step. */
function hintFor(report: StatusReport): string {
  if (!report.server.reachable) return 'check that the database runs and that [mysql] (or the engine section) in the config points at it';
  if (report.archive.error) return 'check that the archive share is mounted (findmnt) or the container reachable, then run snaplog status again';
  if (report.service.state === 'dead' || report.service.state === 'stopped') {
    return 'start the ship service: systemctl start snaplog-ship (journalctl -u snaplog-ship shows why it stopped)';
  }
  if (report.service.state === 'stalled') return 'look at journalctl -u snaplog-ship and at the archive mount (a hung NFS server blocks writes)';
  if (report.lastError) return `the last ship error says what to fix; snaplog ship --once shows it again`;
  if (report.gaps.length) return 'take a new snapshot now: a restore cannot cross the purged logs (snaplog list shows the gap)';
  const bound = report.maxLagSource.includes('not set') ? '; set [ship] max_log_age to bound the lag on a quiet server' : '';
  return `start the ship service (systemctl start snaplog-ship) or run snaplog ship --once now; journalctl -u snaplog-ship shows what holds it up${bound}`;
}
