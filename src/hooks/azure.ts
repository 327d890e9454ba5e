/**
 * Azure Backup's classic pre/post framework: `/etc/azure/VMSnapshotScriptPluginConfig.json` (ScriptRunner)
 * names a pre- and a post-script. The extension checks that the JSON is root-owned 0600/0400 and the scripts
 * root-owned with no group/other bits, runs them as `sh SCRIPT PARAMS…`, waits at most `timeoutInSeconds`
 * (capped at 1800) and always runs the post-script. It does not kill a script that overruns: it stops
 * waiting and carries on, so snaplog's own deadline must end the freeze (it is 30 s shorter). What the
 * scripts print is not copied to the extension's log (extension.log has the outcome, not stderr): the
 * reason of a failure is in `snaplog events` and <ipc_folder>/holder.log.
 *
 * Not used: `/etc/azure/workload.conf`. While it sets `workload_name` to oracle, mysql, mariadb or postgres,
 * the extension runs its own database freeze (VMBackup/main/workloadPatch) *instead of* these scripts;
 * other names are ignored by Azure.
 */
import { checkPlanOptions, fastThawCall, fastThawFunction, hookMeta, managedJson, shellScript, snaplogInvocation } from './script.js';
import { DEFAULT_FREEZE_TIMEOUT_SECONDS, SNAPLOG_HOOKS_DIR } from './types.js';
import type { HookPlan, HookPlanOptions } from './types.js';

export const AZURE_PLUGIN_CONFIG = '/etc/azure/VMSnapshotScriptPluginConfig.json';
export const AZURE_WORKLOAD_CONF = '/etc/azure/workload.conf';
export const AZURE_PRE_SCRIPT = `${SNAPLOG_HOOKS_DIR}/azure-pre.sh`;
export const AZURE_POST_SCRIPT = `${SNAPLOG_HOOKS_DIR}/azure-post.sh`;
/** Azure's own upper bound for timeoutInSeconds. */
export const AZURE_MAX_TIMEOUT_SECONDS = 1800;
/** Head room over the freeze timeout: the pre-step also closes the current log and waits for it to ship. */
export const AZURE_TIMEOUT_MARGIN_SECONDS = 30;

/** timeoutInSeconds for a given freeze timeout: freeze timeout + margin, at most Azure's 1800. */
export function azureScriptTimeout(freezeTimeoutSeconds: number = DEFAULT_FREEZE_TIMEOUT_SECONDS): number {
  return Math.min(freezeTimeoutSeconds + AZURE_TIMEOUT_MARGIN_SECONDS, AZURE_MAX_TIMEOUT_SECONDS);
}

export function planAzure(options: HookPlanOptions): HookPlan {
  checkPlanOptions(options);
  const timeoutInSeconds = azureScriptTimeout(options.freezeTimeoutSeconds);
  const about = (step: string): string[] => [
    `Azure Backup runs it as \`sh ${step === 'pre' ? AZURE_PRE_SCRIPT : AZURE_POST_SCRIPT}\` (see ${AZURE_PLUGIN_CONFIG}).`,
    'exec: snaplog itself is the process Azure waits for; Azure does not kill it at timeoutInSeconds,',
    "snaplog's freeze timeout (30 s shorter) ends it.",
  ];
  const pre = shellScript({
    meta: hookMeta(options, 'azure', 'pre'),
    title: 'Azure Backup pre-script (freeze the database before the snapshot).',
    about: about('pre'),
    body: [`exec ${snaplogInvocation(options, ['freeze', '--product', 'azure'])}`],
  });
  const post = shellScript({
    meta: hookMeta(options, 'azure', 'post'),
    title: 'Azure Backup post-script (release the database after the snapshot).',
    about: about('post'),
    body: [...fastThawFunction(options), `${fastThawCall(options, 'thaw')}exec ${snaplogInvocation(options, ['thaw', '--product', 'azure'])}`],
  });
  const config = managedJson(
    {
      pluginName: 'ScriptRunner',
      preScriptLocation: AZURE_PRE_SCRIPT,
      postScriptLocation: AZURE_POST_SCRIPT,
      preScriptParams: [],
      postScriptParams: [],
      preScriptNoOfRetries: 0,
      postScriptNoOfRetries: 0,
      timeoutInSeconds,
      continueBackupOnFailure: true,
      fsFreezeEnabled: true,
    },
    hookMeta(options, 'azure', 'config'),
  );
  return {
    product: 'azure',
    dirs: [
      { path: SNAPLOG_HOOKS_DIR, mode: 0o700, enforceMode: false, removeWhenEmpty: true },
      { path: '/etc/azure', mode: 0o755, enforceMode: false, removeWhenEmpty: false },
    ],
    files: [
      { path: AZURE_PRE_SCRIPT, mode: 0o700, content: pre, kind: 'script', format: 'sh' },
      { path: AZURE_POST_SCRIPT, mode: 0o700, content: post, kind: 'script', format: 'sh' },
      { path: AZURE_PLUGIN_CONFIG, mode: 0o600, content: config, kind: 'config', format: 'json' },
    ],
    notes: [
      `Azure Backup picks the scripts up at the next backup of this VM: no restart needed. A recovery point taken with them shows as "Application consistent" in the portal.`,
      `timeoutInSeconds = ${timeoutInSeconds} (freeze timeout ${options.freezeTimeoutSeconds ?? DEFAULT_FREEZE_TIMEOUT_SECONDS} s + ${AZURE_TIMEOUT_MARGIN_SECONDS} s, at most ${AZURE_MAX_TIMEOUT_SECONDS}); continueBackupOnFailure = true: if the freeze fails the backup still runs, file-system consistent only.`,
      `Keep workload_name = oracle, mysql, mariadb or postgres out of ${AZURE_WORKLOAD_CONF}: with one of those, Azure runs its own database freeze instead of these scripts (other names, e.g. iris, are ignored by Azure).`,
      `Azure does not show the scripts' output: if a backup is not application consistent, look at \`snaplog events\` and <ipc_folder>/holder.log.`,
    ],
  };
}
