/** Public API of the hooks module: plan (pure), install/uninstall (I/O), status (read-only). */
export { HOOK_PRODUCTS, parseHookProduct, SNAPLOG_HOOKS_DIR, DEFAULT_FREEZE_TIMEOUT_SECONDS } from './types.js';
export type { HookMeta, HookPlan, HookPlanOptions, HookProduct, PlannedDir, PlannedFile, PlannedFileFormat, PlannedFileKind } from './types.js';
export { MANAGED_MARKER, recogniseManaged } from './script.js';
export { planHooks, hookLayout } from './plan.js';
export {
  planAzure,
  azureScriptTimeout,
  AZURE_PLUGIN_CONFIG,
  AZURE_PRE_SCRIPT,
  AZURE_POST_SCRIPT,
  AZURE_WORKLOAD_CONF,
  AZURE_MAX_TIMEOUT_SECONDS,
  AZURE_TIMEOUT_MARGIN_SECONDS,
} from './azure.js';
export { planVmware, planNakivo, VMWARE_PRE_FREEZE_SCRIPT, VMWARE_POST_THAW_SCRIPT, VMWARE_BACKUP_SCRIPTS_DIR } from './vmware.js';
export { planVeeam, VEEAM_PRE_SCRIPT, VEEAM_POST_SCRIPT } from './veeam.js';
export { planGcp, GCP_SNAPSHOTS_DIR, GCP_PRE_SCRIPT, GCP_POST_SCRIPT, GCP_INSTANCE_CONFIGS, GCP_TIMEOUT_EXIT_CODE } from './gcp.js';
export { installHooks, uninstallHooks, BACKUP_INFIX } from './install.js';
export { inspectHookFile, formatMode } from './hook-files.js';
export type {
  HookFsOptions,
  InstallOptions,
  InstallReport,
  InstalledDir,
  InstalledFile,
  DirOutcome,
  FileOutcome,
  UninstallReport,
  UninstalledFile,
  RemoveOutcome,
} from './install.js';
export { hooksStatus, productHookStatus, installedHookProducts, coexistenceWarnings } from './status.js';
export { iniValue, azureWorkloadName, azureDivertsFor, AZURE_DIVERTING_WORKLOADS, gcpSnapshotsEnabled } from './checks.js';
export { readGcpSnapshotSettings, resolveGcpSnapshotSettings, parseAgentBool, GCP_CONFIG_SOURCES, GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS } from './gcp-agent.js';
export type { GcpSnapshotSettings, AgentSetting } from './gcp-agent.js';
export type { HooksStatusReport, ProductHookStatus, HookFileStatus, HookState } from './status.js';
