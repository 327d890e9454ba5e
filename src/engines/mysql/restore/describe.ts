/** A MySQL/MariaDB restore plan in words and in JSON (`snaplog plan`, `snaplog restore --dry-run`). Pure. */
import { describeTarget } from '../../restore-target.js';
import { windowLines } from '../../chain-plan.js';
import type { RestorePlan } from './plan.js';
import { localIso, localTimeZone } from '../../time-text.js';

export function planJson(plan: RestorePlan): Record<string, unknown> {
  return {
    snapshot: { id: plan.snapshot.id, time: plan.snapshot.time, position: plan.snapshot.position, status: plan.snapshot.status },
    logs: plan.logs.map((log) => ({ name: log.name, size: log.size, sha256: log.sha256, from: log.from, ...(log.to !== undefined ? { to: log.to } : {}) })),
    target: describeTarget(plan.target),
    stop: plan.stop,
    bytesToReplay: plan.bytesToReplay,
    restorable: plan.restorable,
    gaps: plan.gaps,
    preparedXa: plan.preparedXa ?? [],
    ...(plan.xaIncomplete?.length ? { xaIncomplete: plan.xaIncomplete } : {}),
  };
}

/** Warning lines for XA transactions the stop leaves prepared (their XA COMMIT / ROLLBACK is after the stop). */
export function preparedXaLines(plan: Pick<RestorePlan, 'preparedXa' | 'xaIncomplete'>): string[] {
  const prepared = plan.preparedXa ?? [];
  const lines = prepared.map(
    (xa) =>
      `warning  XA transaction ${xa.xid}${xa.gtid ? ` (GTID ${xa.gtid})` : ''}, prepared at ${xa.file}:${xa.position}, is committed or rolled back ` +
      'after the stop: the restored server holds it prepared, with its locks, until you run XA COMMIT or XA ROLLBACK with that XID (XA RECOVER lists it)',
  );
  const hidden = plan.xaIncomplete ?? [];
  if (hidden.length) {
    const names = hidden.length > 3 ? `${hidden.slice(0, 3).join(', ')} and ${hidden.length - 3} more logs` : hidden.join(', ');
    lines.push(
      `note     ${names} may hold XA transactions the plan cannot see (compressed MySQL transactions, or more XA ` +
        'steps than the metadata lists): after the restore, XA RECOVER lists any left prepared',
    );
  }
  return lines;
}

/** How a target reads in text: a time in UTC and in local time (either can be pasted back into --to). */
export function targetText(plan: Pick<RestorePlan, 'target'>, timeZone = localTimeZone()): string {
  const target = plan.target;
  switch (target.kind) {
    case 'time': {
      const ms = target.instant ? Date.parse(target.instant) : target.time * 1000;
      const local = timeZone === 'UTC' ? '' : `, local ${localIso(ms, timeZone)} ${timeZone}`;
      const cutoff = new Date(target.time * 1000).toISOString();
      return `--to ${new Date(ms).toISOString()}${local}: in log order, up to the first transaction whose commit stamp (whole seconds) is after ${cutoff}`;
    }
    case 'gtid':
      return `--to-gtid ${target.gtid}: up to and including that transaction, in log order`;
    case 'gtid-position':
      return `--to-gtid ${target.position}: exactly the transactions of that GTID position`;
    case 'before-gtid':
      return `--before-gtid ${target.gtid}: everything before that transaction, in log order`;
    case 'position':
      return `--to-position ${target.file}:${target.position}`;
    case 'latest':
      return '--latest: every archived transaction';
  }
}

function stopText(stop: RestorePlan['stop']): string {
  const at = stop.endOfChain ? 'at the end of the archived chain' : `${stop.file}:${stop.position}`;
  const applied = stop.lastApplied;
  const where = applied?.file ? ` (end of ${applied.file})` : ` committed ${applied?.commitTime ?? '?'}`;
  const excluded = stop.firstExcluded;
  const appliedText = applied ? `; last applied ${applied.gtid ?? ''}${where}` : '';
  return `${at}${appliedText}${excluded ? `; first left out ${excluded.gtid ?? ''} committed ${excluded.commitTime ?? '?'}` : ''}`;
}

export function describePlan(plan: RestorePlan): string {
  const stop = plan.stop;
  const lines = [
    `snapshot ${plan.snapshot.id} (${plan.snapshot.time}) at ${plan.snapshot.position!.file}:${plan.snapshot.position!.position}${plan.snapshot.position!.gtid ? ` GTID ${plan.snapshot.position!.gtid}` : ''}`,
    `target   ${targetText(plan)}`,
    `logs     ${plan.logs.map((log) => `${log.name}[${log.from}..${log.to ?? 'end'}]`).join(' ')}`,
    `stop     ${stopText(stop)}`,
    `replay   ${(plan.bytesToReplay / 1048576).toFixed(1)} MB`,
    ...windowLines(plan.restorable),
    ...preparedXaLines(plan),
  ];
  return lines.join('\n');
}
