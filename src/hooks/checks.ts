/**
 * Product switches outside the hook files that decide whether the product runs them at all. Read-only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AZURE_WORKLOAD_CONF } from './azure.js';
import { GCP_INSTANCE_CONFIGS } from './gcp.js';

/** The value of `key` in `[section]` of an INI text (case-insensitive names, `;`/`#` comments), or undefined. */
export function iniValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  let found: string | undefined;
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]*)\]/.exec(line);
    if (header) {
      current = (header[1] ?? '').trim().toLowerCase();
      continue;
    }
    if (current !== section.toLowerCase()) continue;
    const match = /^([^=:]+)[=:](.*)$/.exec(line);
    if (!match) continue;
    if ((match[1] ?? '').trim().toLowerCase() !== key.toLowerCase()) continue;
    found = (match[2] ?? '').replace(/\s[;#].*$/, '').trim();
  }
  return found;
}

function underRoot(root: string, path: string): string {
  return root === '/' ? path : join(root, path);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Azure Backup takes its own "workload" path — its own FLUSH TABLES WITH READ LOCK + read_only — and skips
 * the ScriptRunner scripts whenever /etc/azure/workload.conf sets a non-empty workload_name.
 * Returns that name, or undefined when the scripts will run.
 */
export async function azureWorkloadName(root: string): Promise<string | undefined> {
  const text = await readOptional(underRoot(root, AZURE_WORKLOAD_CONF));
  const name = text === undefined ? undefined : iniValue(text, 'workload', 'workload_name');
  return name ? name : undefined;
}

/** Is `[Snapshots] enabled = true` set for google-guest-agent? */
export async function gcpSnapshotsEnabled(root: string): Promise<boolean> {
  const text = await readOptional(underRoot(root, GCP_INSTANCE_CONFIGS));
  return text !== undefined && iniValue(text, 'Snapshots', 'enabled')?.toLowerCase() === 'true';
}
