import { SnaplogError } from '../errors.js';

/** What a freeze step may use: snaplog's own freeze timeout, or less when the calling agent gives up sooner. */
export interface FreezeBudget {
  /** The lock must be held by then, or the freeze is undone. */
  deadlineMs: number;
  seconds: number;
  limitedBy: 'freeze-timeout' | 'agent-timeout';
  /** When the backup agent gives up on the hook (kills it): a lock confirmed later is undone. */
  agentDeadlineMs?: number;
  agentTimeoutSeconds?: number;
}

export class FreezeTimeoutError extends SnaplogError {
  constructor(what: string, seconds: number, budget?: Pick<FreezeBudget, 'limitedBy' | 'agentTimeoutSeconds'>) {
    const byAgent = budget?.limitedBy === 'agent-timeout';
    super(
      byAgent
        ? `${what} did not finish within ${seconds} s, the part of the backup agent's ${budget?.agentTimeoutSeconds ?? '?'} s script timeout left to the freeze`
        : `${what} did not finish within the freeze timeout (${seconds} s)`,
      {
        hint: byAgent
          ? 'the freeze was undone and the database is writable; check the archive mount and the database, ' +
            "or give the agent's hooks more time (google-guest-agent: [Snapshots] timeout_in_seconds, then restart it)"
          : 'check the archive mount and the database; the freeze was undone and the database is writable; raise [workload] timeout if this host is slow',
      },
    );
  }
}

/**
 * Seconds kept back from a backup agent's script timeout, so that the pre-step ends (frozen, or undone)
 * before the agent kills it: a quarter of it, at least 1 s and at most 10 s.
 */
export function agentMarginSeconds(agentTimeoutSeconds: number): number {
  return Math.min(10, Math.max(1, Math.floor(agentTimeoutSeconds / 4)));
}

/**
 * Pure: the pre-step's deadline. `agent.startedMs` is when the agent started the hook (this process's start:
 * the hook script execs snaplog); the agent kills it `agent.timeoutSeconds` later.
 */
export function freezeBudget(startedMs: number, timeoutSeconds: number, agent?: { startedMs: number; timeoutSeconds: number }): FreezeBudget {
  const own: FreezeBudget = { deadlineMs: startedMs + timeoutSeconds * 1000, seconds: timeoutSeconds, limitedBy: 'freeze-timeout' };
  if (agent === undefined) return own;
  const agentDeadlineMs = agent.startedMs + agent.timeoutSeconds * 1000;
  const byAgentMs = agentDeadlineMs - agentMarginSeconds(agent.timeoutSeconds) * 1000;
  if (byAgentMs >= own.deadlineMs) return { ...own, agentDeadlineMs, agentTimeoutSeconds: agent.timeoutSeconds };
  return {
    deadlineMs: byAgentMs,
    seconds: Math.max(0, Math.round((byAgentMs - startedMs) / 100) / 10),
    limitedBy: 'agent-timeout',
    agentDeadlineMs,
    agentTimeoutSeconds: agent.timeoutSeconds,
  };
}

/** Bounds a step of the freeze protocol: a hanging archive or database must not hang the snapshot. */
export async function withDeadline<T>(work: Promise<T>, deadlineMs: number, what: string, timeoutSeconds: number, budget?: FreezeBudget): Promise<T> {
  const remaining = deadlineMs - Date.now();
  if (remaining <= 0) throw new FreezeTimeoutError(what, timeoutSeconds, budget);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FreezeTimeoutError(what, timeoutSeconds, budget)), remaining);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
