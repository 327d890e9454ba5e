/**
 * VMware Tools (open-vm-tools services/plugins/vmbackup): for a quiesced snapshot the tools run
 * `/usr/sbin/pre-freeze-script freeze` before and `/usr/sbin/post-thaw-script thaw` after it, or
 * `post-thaw-script freezeFail` when the snapshot failed. Non-zero = failure. VMware Tools also runs every
 * executable in /etc/vmware-tools/backupScripts.d with the same arguments; snaplog does not install there.
 *
 * NAKIVO uses the same two files in two ways: on VMware through VMware Tools (app-aware mode, the calls
 * above), and on Amazon EC2 and Hyper-V by running them itself over SSH, as root or through passwordless
 * sudo, with no argument (NAKIVO help center, "Application and Database Support" / Linux app-aware mode).
 * So no argument means freeze for the pre-script and thaw for the post-script.
 */
import { checkPlanOptions, fastThawCall, fastThawFunction, hookMeta, shellScript, snaplogInvocation } from './script.js';
import type { HookPlan, HookPlanOptions } from './types.js';

export const VMWARE_PRE_FREEZE_SCRIPT = '/usr/sbin/pre-freeze-script';
export const VMWARE_POST_THAW_SCRIPT = '/usr/sbin/post-thaw-script';
export const VMWARE_BACKUP_SCRIPTS_DIR = '/etc/vmware-tools/backupScripts.d';

export type VmwareLikeProduct = 'vmware' | 'nakivo';

function dispatcher(options: HookPlanOptions, product: VmwareLikeProduct, name: string, noArgument: 'freeze' | 'thaw'): string[] {
  const run = (args: string[]): string => `exec ${snaplogInvocation(options, [...args, '--product', product])}`;
  // Only the post script has the fast path (a thaw or freezeFail reaching the pre script runs snaplog alone).
  const fast = (request: 'thaw' | 'fail'): string => (noArgument === 'thaw' ? fastThawCall(options, request) : '');
  return [
    ...(noArgument === 'thaw' ? fastThawFunction(options) : []),
    'case "${1-}" in',
    `  freeze) ${run(['freeze'])} ;;`,
    `  thaw) ${fast('thaw')}${run(['thaw'])} ;;`,
    `  freezeFail) ${fast('fail')}${run(['thaw', '--failed'])} ;;`,
    `  '') ${noArgument === 'freeze' ? run(['freeze']) : `${fast('thaw')}${run(['thaw'])}`} ;;`,
    '  *)',
    `    printf '%s\\n' "${name}: unknown argument '$1' (expected freeze, thaw or freezeFail); snaplog was not called" >&2`,
    '    exit 1 ;;',
    'esac',
  ];
}

export function planVmware(options: HookPlanOptions, product: VmwareLikeProduct = 'vmware'): HookPlan {
  checkPlanOptions(options);
  const label = product === 'vmware' ? 'VMware Tools' : 'NAKIVO (VMware Tools convention)';
  const about = ['Argument: freeze -> snaplog freeze; thaw -> snaplog thaw; freezeFail -> snaplog thaw --failed;'];
  const pre = shellScript({
    meta: hookMeta(options, product, 'pre'),
    title: `${label} pre-freeze script (freeze the database before a quiesced snapshot).`,
    about: [...about, 'no argument -> snaplog freeze.'],
    body: dispatcher(options, product, 'pre-freeze-script', 'freeze'),
  });
  const post = shellScript({
    meta: hookMeta(options, product, 'post'),
    title: `${label} post-thaw script (release the database after the snapshot).`,
    about: [...about, 'no argument -> snaplog thaw.'],
    body: dispatcher(options, product, 'post-thaw-script', 'thaw'),
  });
  const notes =
    product === 'vmware'
      ? [
          'VMware Tools runs these only for quiesced snapshots: tick "Quiesce guest file system" (or let the backup product request quiescing).',
          'Check that open-vm-tools / VMware Tools is running: systemctl status open-vm-tools (or vmtoolsd).',
        ]
      : [
          'In the NAKIVO job, enable app-aware mode for this machine.',
          'On VMware, NAKIVO has VMware Tools quiesce the VM and VMware Tools runs these scripts: check that open-vm-tools is running (systemctl status open-vm-tools).',
          'On Amazon EC2 and Hyper-V, NAKIVO runs /usr/sbin/pre-freeze-script and /usr/sbin/post-thaw-script itself over SSH, with no argument: ' +
            'give the job root credentials, or an account with passwordless sudo (`USER ALL=(ALL) NOPASSWD:ALL` in /etc/sudoers.d), and check that sshd runs.',
          '`snaplog hooks status --for nakivo` says which of the two paths this host is set up for.',
        ];
  notes.push(
    `VMware Tools also runs every executable in ${VMWARE_BACKUP_SCRIPTS_DIR} with the same arguments; snaplog does not install there: keep no second snaplog hook there, or the database is frozen twice.`,
  );
  return {
    product,
    dirs: [{ path: '/usr/sbin', mode: 0o755, enforceMode: false, removeWhenEmpty: false }],
    files: [
      { path: VMWARE_PRE_FREEZE_SCRIPT, mode: 0o700, content: pre, kind: 'script', format: 'sh' },
      { path: VMWARE_POST_THAW_SCRIPT, mode: 0o700, content: post, kind: 'script', format: 'sh' },
    ],
    notes,
  };
}

export function planNakivo(options: HookPlanOptions): HookPlan {
  return planVmware(options, 'nakivo');
}
