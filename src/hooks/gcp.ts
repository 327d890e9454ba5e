/**
 * Google Cloud guest-flush snapshots (google-guest-agent, cmd/core_plugin/snapshot): the agent runs
 * `/etc/google/snapshots/pre.sh DISKS` before and `post.sh DISKS` after a snapshot taken with guest flush,
 * the disk list as one argument. The folder is root's (0700). After `[Snapshots] timeout_in_seconds`
 * (default 60) the agent kills the script's own process, and only that one (exec.CommandContext), and
 * reports the snapshot script as timed out; any other non-zero exit is a script error. The feature is off
 * until `[Snapshots] enabled` is true and the agent is restarted.
 *
 * pre.sh `exec`s snaplog, so the agent's kill reaches snaplog itself and no shell outlives it holding the
 * agent's output pipes. `--agent-timeout gcp` makes snaplog read the agent's timeout at every snapshot and
 * keep its pre-step inside it, with a margin; a lock confirmed after the agent's deadline is undone.
 */
import { checkPlanOptions, fastThawCall, fastThawFunction, hookMeta, shellScript, snaplogInvocation } from './script.js';
import type { HookPlan, HookPlanOptions } from './types.js';
import { GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS, GCP_INSTANCE_CONFIGS } from './gcp-agent.js';

export { GCP_INSTANCE_CONFIGS, GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS } from './gcp-agent.js';
export const GCP_SNAPSHOTS_DIR = '/etc/google/snapshots';
export const GCP_PRE_SCRIPT = `${GCP_SNAPSHOTS_DIR}/pre.sh`;
export const GCP_POST_SCRIPT = `${GCP_SNAPSHOTS_DIR}/post.sh`;
/** The older guest-agent reports a script's own exit 124 as a timeout; the current one only its own kill. */
export const GCP_TIMEOUT_EXIT_CODE = 124;

function body(options: HookPlanOptions, command: 'freeze' | 'thaw'): string[] {
  const base = command === 'freeze' ? ['freeze', '--product', 'gcp', '--agent-timeout', 'gcp'] : ['thaw', '--product', 'gcp'];
  return [
    ...(command === 'thaw' ? fastThawFunction(options) : []),
    '# Disks: one argument "disk-1,disk-2" (what the agent passes) or one disk per argument.',
    'set -f',
    "disks=''",
    'for arg in "$@"; do',
    "  IFS=', \t'",
    '  for disk in $arg; do',
    '    disks="${disks:+$disks,}$disk"',
    '  done',
    '  unset IFS',
    'done',
    'if [ -n "$disks" ]; then set -- --disks "$disks"; else set --; fi',
    '# exec: the process the agent kills at its timeout is snaplog itself.',
    `${command === 'thaw' ? fastThawCall(options, 'thaw') : ''}exec ${snaplogInvocation(options, [...base, '"$@"'])}`,
  ];
}

export function planGcp(options: HookPlanOptions): HookPlan {
  checkPlanOptions(options);
  const pre = shellScript({
    meta: hookMeta(options, 'gcp', 'pre'),
    title: 'Google Cloud guest-flush pre-snapshot script (freeze the database).',
    about: [
      `google-guest-agent runs it as \`${GCP_PRE_SCRIPT} DISKS\` before a snapshot taken with guest flush,`,
      `and kills it after [Snapshots] timeout_in_seconds (${GCP_INSTANCE_CONFIGS}, default ${GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS}):`,
      'snaplog reads that value and finishes (frozen, or undone) before it.',
    ],
    body: body(options, 'freeze'),
  });
  const post = shellScript({
    meta: hookMeta(options, 'gcp', 'post'),
    title: 'Google Cloud guest-flush post-snapshot script (release the database).',
    about: [`google-guest-agent runs it as \`${GCP_POST_SCRIPT} DISKS\` after the snapshot.`],
    body: body(options, 'thaw'),
  });
  const hold = options.freezeTimeoutSeconds;
  const notes = [
    `Enable with \`[Snapshots] enabled = true\` in ${GCP_INSTANCE_CONFIGS} and restart google-guest-agent (systemctl restart google-guest-agent).`,
    `The agent kills pre.sh after \`[Snapshots] timeout_in_seconds\` (default ${GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS}). ` +
      'snaplog freeze reads it at every snapshot and gives up (undoing the freeze) a margin before it: at most 10 s, a quarter of it for short ones.' +
      (hold === undefined ? '' : ` The lock itself is held until post.sh, at most [workload] timeout = ${hold} s.`),
    'The scripts run only for snapshots taken with guest flush: `gcloud compute disks snapshot DISK --guest-flush`, ' +
      'or a snapshot schedule created with --guest-flush.',
  ];
  return {
    product: 'gcp',
    dirs: [{ path: GCP_SNAPSHOTS_DIR, mode: 0o700, enforceMode: true, removeWhenEmpty: false }],
    files: [
      { path: GCP_PRE_SCRIPT, mode: 0o700, content: pre, kind: 'script', format: 'sh' },
      { path: GCP_POST_SCRIPT, mode: 0o700, content: post, kind: 'script', format: 'sh' },
    ],
    notes,
  };
}
