/**
 * google-guest-agent's `[Snapshots]` settings, read the way the agent reads them (GoogleCloudPlatform/
 * google-guest-agent internal/cfg/cfg.go, go-ini with Insensitive names): built-in defaults, then
 * /etc/default/instance_configs.cfg, then `.distro`, then `.template`; a later file overrides an earlier one.
 * Booleans take go-ini's spellings; `timeout_in_seconds` defaults to 60. The agent reads them when it
 * starts: a change counts only after `systemctl restart google-guest-agent`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { iniValue } from './ini.js';

export const GCP_INSTANCE_CONFIGS = '/etc/default/instance_configs.cfg';
/** In the agent's load order: a later file wins. */
export const GCP_CONFIG_SOURCES = [GCP_INSTANCE_CONFIGS, `${GCP_INSTANCE_CONFIGS}.distro`, `${GCP_INSTANCE_CONFIGS}.template`] as const;
export const GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS = 60;

const TRUE_SPELLINGS = ['1', 't', 'T', 'true', 'TRUE', 'True', 'YES', 'yes', 'Yes', 'y', 'ON', 'on', 'On'];
const FALSE_SPELLINGS = ['0', 'f', 'F', 'false', 'FALSE', 'False', 'NO', 'no', 'No', 'n', 'OFF', 'off', 'Off'];

/** Pure: go-ini's boolean (the agent's): true, false, or undefined for a value it cannot parse. */
export function parseAgentBool(value: string): boolean | undefined {
  if (TRUE_SPELLINGS.includes(value)) return true;
  if (FALSE_SPELLINGS.includes(value)) return false;
  return undefined;
}

/** go-ini drops an inline comment (`;` or `#`) and one pair of surrounding quotes. */
function agentValue(raw: string): string {
  const trimmed = raw.trim();
  const quoted = /^"([^"]*)"$/.exec(trimmed) ?? /^'([^']*)'$/.exec(trimmed);
  if (quoted) return quoted[1] ?? '';
  return trimmed.replace(/[;#].*$/, '').trim();
}

export interface AgentSetting<T> {
  value: T;
  /** The file that set it; undefined = the agent's built-in default. */
  source?: string;
  raw?: string;
}

export interface GcpSnapshotSettings {
  enabled: AgentSetting<boolean>;
  timeoutSeconds: AgentSetting<number>;
  /** Values the agent cannot use as written. */
  problems: string[];
}

/** Pure: the effective settings from the files' texts (undefined = the file does not exist). */
export function resolveGcpSnapshotSettings(files: readonly { path: string; text: string | undefined }[]): GcpSnapshotSettings {
  let enabledRaw: AgentSetting<string> | undefined;
  let timeoutRaw: AgentSetting<string> | undefined;
  for (const file of files) {
    if (file.text === undefined) continue;
    const enabled = iniValue(file.text, 'Snapshots', 'enabled');
    if (enabled !== undefined) enabledRaw = { value: agentValue(enabled), source: file.path };
    const timeout = iniValue(file.text, 'Snapshots', 'timeout_in_seconds');
    if (timeout !== undefined) timeoutRaw = { value: agentValue(timeout), source: file.path };
  }
  const problems: string[] = [];
  let enabled: AgentSetting<boolean> = { value: false };
  if (enabledRaw) {
    const parsed = parseAgentBool(enabledRaw.value);
    if (parsed === undefined) {
      problems.push(
        `[Snapshots] enabled = '${enabledRaw.value}' in ${enabledRaw.source} is not a boolean google-guest-agent reads ` +
          '(true/yes/on/1 or false/no/off/0): it counts as off',
      );
    }
    enabled = { value: parsed === true, source: enabledRaw.source, raw: enabledRaw.value };
  }
  let timeoutSeconds: AgentSetting<number> = { value: GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS };
  if (timeoutRaw) {
    const seconds = /^[+]?\d+$/.test(timeoutRaw.value) ? Number(timeoutRaw.value) : Number.NaN;
    if (!Number.isSafeInteger(seconds) || seconds < 1) {
      problems.push(
        `[Snapshots] timeout_in_seconds = '${timeoutRaw.value}' in ${timeoutRaw.source} is not a positive whole number: ` +
          `google-guest-agent then has no usable script timeout; snaplog assumes ${GCP_DEFAULT_SCRIPT_TIMEOUT_SECONDS}`,
      );
    } else {
      timeoutSeconds = { value: seconds, source: timeoutRaw.source, raw: timeoutRaw.value };
    }
  }
  return { enabled, timeoutSeconds, problems };
}

/** Reads the agent's files under `root` (the folder that stands for /). */
export async function readGcpSnapshotSettings(root: string): Promise<GcpSnapshotSettings> {
  const files = await Promise.all(
    GCP_CONFIG_SOURCES.map(async (path) => ({ path, text: await readFile(root === '/' ? path : join(root, path), 'utf8').catch(() => undefined) })),
  );
  return resolveGcpSnapshotSettings(files);
}

/** Where snaplog finds the agents' settings: `/`, or $SNAPLOG_HOOKS_ROOT (a staging folder or a test's). */
export function agentSettingsRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.SNAPLOG_HOOKS_ROOT;
  return root?.startsWith('/') ? root : '/';
}
