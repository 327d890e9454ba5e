/**
 * Veeam Backup & Replication (application-aware processing of a Linux guest): the job uploads a pre- and a
 * post-freeze script to the guest (to /tmp) and runs them with no arguments. Exit 0 = success, and anything
 * written to stderr counts as a failure, so the scripts write nothing there unless snaplog fails.
 */
import { checkPlanOptions, fastThawCall, fastThawFunction, hookMeta, shellScript, snaplogInvocation } from './script.js';
import { SNAPLOG_HOOKS_DIR } from './types.js';
import type { HookPlan, HookPlanOptions } from './types.js';

export const VEEAM_PRE_SCRIPT = `${SNAPLOG_HOOKS_DIR}/veeam-pre.sh`;
export const VEEAM_POST_SCRIPT = `${SNAPLOG_HOOKS_DIR}/veeam-post.sh`;

export function planVeeam(options: HookPlanOptions): HookPlan {
  checkPlanOptions(options);
  const about = [
    'Veeam uploads a copy of this script to the guest and runs it without arguments;',
    'anything on stderr fails the job, so nothing is written there unless snaplog fails.',
  ];
  const pre = shellScript({
    meta: hookMeta(options, 'veeam', 'pre'),
    title: 'Veeam pre-freeze script (freeze the database before the snapshot).',
    about,
    body: [`exec ${snaplogInvocation(options, ['freeze', '--product', 'veeam'])}`],
  });
  const post = shellScript({
    meta: hookMeta(options, 'veeam', 'post'),
    title: 'Veeam post-thaw script (release the database after the snapshot).',
    about,
    body: [...fastThawFunction(options), `${fastThawCall(options, 'thaw')}exec ${snaplogInvocation(options, ['thaw', '--product', 'veeam'])}`],
  });
  return {
    product: 'veeam',
    dirs: [{ path: SNAPLOG_HOOKS_DIR, mode: 0o700, enforceMode: false, removeWhenEmpty: true }],
    files: [
      { path: VEEAM_PRE_SCRIPT, mode: 0o700, content: pre, kind: 'script', format: 'sh' },
      { path: VEEAM_POST_SCRIPT, mode: 0o700, content: post, kind: 'script', format: 'sh' },
    ],
    notes: [
      `In the Veeam job: Guest Processing > Applications > this VM > Edit > Scripts, tick "Require successful script execution" and give Veeam, from the Veeam server, a pre-freeze and a post-thaw script. Best: two-line stubs that call the installed scripts, so a reinstall needs no change in Veeam: \`#!/bin/sh\` + \`exec ${VEEAM_PRE_SCRIPT}\` (and \`exec ${VEEAM_POST_SCRIPT}\`), saved with LF line ends.`,
      'If you upload full copies of the scripts instead, copy them again after reinstalling or moving snaplog (or node).',
      'The guest OS credentials in the job must be root (or a sudo account with "Elevate account privileges automatically").',
    ],
  };
}
