import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { ENGINE_CONFIG } from '../engines/registry.js';
import type { SnaplogConfig } from '../config/index.js';
import type { Archive } from '../archive/archive.js';
import { openConfiguredArchive } from '../archive/open.js';
import { EventChannel } from '../events/channel.js';
import { SnaplogError, UsageError } from '../errors.js';
import { isArchiveName, printableName } from '../archive/names.js';
import { configPathOf } from './common.js';

export interface CliContext {
  config: SnaplogConfig;
  events: EventChannel;
}

/** Reads the config once per command. Warnings go to a terminal only: hooks run with stderr watched. */
export async function loadContext(command: Command): Promise<CliContext> {
  const { config, warnings } = await loadConfig(ENGINE_CONFIG, { configPath: configPathOf(command) });
  if (process.stderr.isTTY) for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  return { config, events: new EventChannel(config.workload.ipcFolder, config.events.maxBytes) };
}

/** Opens the configured archive; each archive entry it refuses (forged, foreign, a link) is one warning on stderr. */
export async function openArchive(config: SnaplogConfig): Promise<Archive> {
  const archive = await openConfiguredArchive(config);
  archive.onRejected = ({ file, problem }) => process.stderr.write(`snaplog: warning: ${file}: ${problem} (snaplog verify lists every such entry)\n`);
  return archive;
}

/** Opens the archive and picks the system (--system, [archive] system_id, or the only one) when asked to: the conductor opens it after the target is checked. */
export function archiveOpener(config: SnaplogConfig, requested: string | undefined): () => Promise<{ archive: Archive; systemId: string }> {
  return async () => {
    const archive = await openArchive(config);
    return { archive, systemId: await resolveSystemId(archive, config, requested) };
  };
}

/** Which system's logs a read command looks at: --system, the config, or the archive's only system. */
export async function resolveSystemId(archive: Archive, config: SnaplogConfig, requested?: string): Promise<string> {
  if (requested) {
    if (!isArchiveName(requested))
      throw new UsageError(
        `--system ${printableName(requested)} is not a system id`,
        'system ids are letters, digits, ".", "_" and "-" (snaplog list shows them)',
      );
    return requested;
  }
  if (config.archive.systemId) return config.archive.systemId;
  const systems = await archive.systemIds();
  if (systems.length === 1 && systems[0]) return systems[0];
  if (systems.length === 0) {
    throw new SnaplogError(`the archive at ${archive.location} holds no system yet`, { hint: 'run snaplog ship --once on the database server first' });
  }
  throw new SnaplogError(`the archive at ${archive.location} holds several systems: ${systems.join(', ')}`, {
    exitCode: 2,
    hint: 'pick one with --system ID (or set [archive] system_id)',
  });
}
