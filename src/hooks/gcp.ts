/**
 * Google Cloud guest-flush snapshots: google-guest-agent runs `/etc/google/snapshots/pre.sh DISKS` before
 * and `post.sh DISKS` after a snapshot taken with guest flush. The folder is root's (0700). The agent
 * kills a script after `[Snapshots] timeout_in_seconds` (default 60) and reports exit 124 as a timeout,
 * any other non-zero exit as a script error. The feature is off until `[Snapshots] enabled = true` in
 * /etc/default/instance_configs.cfg and the agent is restarted.
 *
 * The agent passes the disk list as one argument; the scripts also accept one disk per argument, and
 * forward the list to snaplog as `--disks a,b`.
 */
import { checkPlanOptions, hookMeta, shellScript, snaplogInvocation } from './script.js';
import type { HookPlan, HookPlanOptions } from './types.js';

export const GCP_SNAPSHOTS_DIR = '/etc/google/snapshots';
export const GCP_PRE_SCRIPT = `${GCP_SNAPSHOTS_DIR}/pre.sh`;
export const GCP_POST_SCRIPT = `${GCP_SNAPSHOTS_DIR}/post.sh`;
export const GCP_INSTANCE_CONFIGS = '/etc/default/instance_configs.cfg';
export const GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS = 60;
export const GCP_TIMEOUT_EXIT_CODE = 124;

function body(options: HookPlanOptions, command: 'freeze' | 'thaw'): string[] {
  const base = [command, '--product', 'gcp'];
  return [
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
    'if [ -n "$disks" ]; then',
    `  ${snaplogInvocation(options, [...base, '--disks', '"$disks"'])}`,
    'else',
    `  ${snaplogInvocation(options, base)}`,
    'fi',
    'status=$?',
    `# 0 = success; ${GCP_TIMEOUT_EXIT_CODE} = timeout (passed through, the agent reports it as such); anything else = failure (1).`,
    'case $status in',
    '  0) exit 0 ;;',
    `  ${GCP_TIMEOUT_EXIT_CODE}) exit ${GCP_TIMEOUT_EXIT_CODE} ;;`,
    '  *) exit 1 ;;',
    'esac',
  ];
}

export function planGcp(options: HookPlanOptions): HookPlan {
  checkPlanOptions(options);
  const pre = shellScript({
    meta: hookMeta(options, 'gcp', 'pre'),
    title: 'Google Cloud guest-flush pre-snapshot script (freeze the database).',
    about: [`google-guest-agent runs it as \`${GCP_PRE_SCRIPT} DISKS\` before a snapshot taken with guest flush.`],
    body: body(options, 'freeze'),
  });
  const post = shellScript({
    meta: hookMeta(options, 'gcp', 'post'),
    title: 'Google Cloud guest-flush post-snapshot script (release the database).',
    about: [`google-guest-agent runs it as \`${GCP_POST_SCRIPT} DISKS\` after the snapshot.`],
    body: body(options, 'thaw'),
  });
  const wanted = options.freezeTimeoutSeconds;
  const notes = [
    `Enable with \`[Snapshots] enabled = true\` in ${GCP_INSTANCE_CONFIGS} and restart google-guest-agent (systemctl restart google-guest-agent).`,
    wanted !== undefined && wanted > GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS
      ? `The agent kills pre.sh after \`[Snapshots] timeout_in_seconds\` (default ${GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS}): set \`timeout_in_seconds = ${wanted}\` there too.`
      : `The agent kills pre.sh after \`[Snapshots] timeout_in_seconds\` (default ${GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS}, exit 124); raise it there if the freeze needs longer.`,
    'The scripts run only for snapshots taken with guest flush: `gcloud compute disks snapshot DISK --guest-flush`, or a snapshot schedule created with --guest-flush.',
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
