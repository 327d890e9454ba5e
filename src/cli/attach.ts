import { Command } from 'commander';
import { UsageError, describeError } from '../errors.js';
import { attach, detach } from '../attach/attach.js';
import type { AttachSource } from '../attach/attach.js';
import { volumeReaders } from '../engines/registry.js';
import type { FoundDatadir, SnapshotIdentity, VolumeReader } from '../engines/types.js';
import type { SnaplogConfig } from '../config/index.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';

interface AttachOptions {
  device?: string;
  image?: string;
  iscsiScript?: string;
  iscsiPortal?: string;
  iscsiTarget?: string;
  mount?: string;
  readOnly?: boolean;
  json?: boolean;
  system?: string;
}

export function attachCommand(): Command {
  return withJsonOption(withConfigOption(new Command('attach')))
    .description('mount a restored disk, a disk image or the file-recovery volumes; find the data directory and its snapshot')
    .option('--device <dev>', 'a restored disk attached to this VM (e.g. /dev/sdc)')
    .option('--image <file>', 'a disk image (via a loop device)')
    .option('--iscsi-script <file>', "Azure's file-recovery script: run it and read its mount table")
    .option('--iscsi-portal <host:port>', 'log in to an iSCSI target yourself (with --iscsi-target): the portal, e.g. 10.0.0.5:3260')
    .option('--iscsi-target <iqn>', 'the target IQN to log in to with iscsiadm; CHAP, if any, goes in /etc/iscsi/iscsid.conf (snaplog never takes the secret)')
    .option('--mount <dir>', 'an empty folder to mount on (default /mnt/snaplog-restore-<time>)')
    .option('--read-only', 'mount read-only, for inspection (restore needs read-write)')
    .option('--system <id>', 'system id in the archive, to match the snapshot')
    .action(async (options: AttachOptions, command: Command) => {
      if (!!options.iscsiPortal !== !!options.iscsiTarget) throw new UsageError('--iscsi-portal and --iscsi-target go together');
      const given = [options.device, options.image, options.iscsiScript, options.iscsiTarget].filter(Boolean);
      if (given.length !== 1)
        throw new UsageError('give exactly one of --device DEV, --image FILE, --iscsi-script FILE, --iscsi-portal HOST:PORT --iscsi-target IQN');
      const source: AttachSource = options.device
        ? { kind: 'device', device: options.device }
        : options.image
          ? { kind: 'image', image: options.image }
          : options.iscsiScript
            ? { kind: 'iscsi-script', script: options.iscsiScript }
            : { kind: 'iscsi-target', portal: options.iscsiPortal!, target: options.iscsiTarget! };
      // The config names the engine whose data to look for; attach also works without one (a fresh recovery VM).
      const context: { config?: SnaplogConfig; error?: unknown } = await loadContext(command).then(
        ({ config }) => ({ config }),
        (error: unknown) => ({ error }),
      );
      const readers = await volumeReaders(context.config);
      const readerOf = new Map<string, VolumeReader>();
      const findDatadirs = async (root: string): Promise<FoundDatadir[]> => {
        const found = await Promise.all(readers.map(async (reader) => (await reader.findDatadirs(root)).map((datadir) => ({ datadir, reader }))));
        return found.flat().map(({ datadir, reader }) => (readerOf.set(datadir.datadir, reader), datadir));
      };
      const result = await attach(source, { mount: options.mount, readOnly: options.readOnly, findDatadirs });
      const matches: Record<string, string[]> = {};
      const identities: Record<string, SnapshotIdentity> = {};
      let archiveNote: string | undefined;
      try {
        if (!context.config) throw context.error;
        const { config } = context;
        const archive = await openArchive(config);
        const snapshots = await archive.listSnapshots(await resolveSystemId(archive, config, options.system));
        for (const found of result.datadirs) {
          const identity = await readerOf.get(found.datadir)!.identify(snapshots, found);
          identities[found.datadir] = identity;
          matches[found.datadir] = identity.kind === 'identified' ? [identity.snapshot.id] : [];
        }
      } catch (error) {
        archiveNote = `snapshot not matched: ${describeError(error).split('\n')[0]}`;
      }
      if (options.json) {
        const identity = Object.fromEntries(Object.entries(identities).map(([datadir, found]) => [datadir, identityJson(found)]));
        return printJson({ ...result, snapshots: matches, identity, ...(archiveNote ? { note: archiveNote } : {}) });
      }
      const lines = [`attached ${result.mounts.join(', ')}${result.loopDevice ? ` (${result.loopDevice})` : ''}${result.readOnly ? ' read-only' : ''}`];
      if (result.datadirs.length === 0) lines.push(`no data directory found on it${context.config ? ` (looked for ${context.config.workload.name}'s)` : ''}`);
      for (const found of result.datadirs) {
        lines.push(
          `data directory ${found.datadir}${found.newestBinlog ? ` (newest binlog ${found.newestBinlog.name}, ${found.newestBinlog.size} bytes)` : ''}`,
        );
        const identity = identities[found.datadir];
        if (identity?.kind === 'identified') {
          lines.push(`  snapshot: ${identity.snapshot.id} (${identity.evidence.join('; ')})`);
          lines.push(`  → snaplog restore --to TIME --datadir ${found.datadir}   (restore finds snapshot ${identity.snapshot.id} by itself)`);
        } else if (identity?.kind === 'unusable')
          lines.push(`  snapshot: ${identity.snapshotId}, which is ${identity.status}: not usable for an exact restore`);
        else if (identity) lines.push(`  snapshot: unknown (${identity.reason}): give --snapshot ID to restore`);
      }
      if (archiveNote) lines.push(archiveNote);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function identityJson(identity: SnapshotIdentity): Record<string, unknown> {
  if (identity.kind === 'identified') return { kind: identity.kind, snapshot: identity.snapshot.id, evidence: identity.evidence };
  if (identity.kind === 'unusable') return { kind: identity.kind, snapshot: identity.snapshotId, status: identity.status, evidence: identity.evidence };
  return { kind: identity.kind, reason: identity.reason, evidence: identity.evidence };
}

export function detachCommand(): Command {
  return withConfigOption(new Command('detach'))
    .description('unmount what snaplog attach mounted (loop device detached; file-recovery script run with clean; iSCSI target logged out)')
    .requiredOption('--mount <dir>', 'the folder given to (or printed by) snaplog attach')
    .action(async (options: { mount: string }) => {
      const record = await detach(options.mount);
      process.stdout.write(`detached ${record.mounts.join(', ')}${record.loopDevice ? ` and ${record.loopDevice}` : ''}\n`);
    });
}
