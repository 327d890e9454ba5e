import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containingMount, initRefusal, parseMountInfo } from '../../src/archive/init-check.js';
import { makeTempDir, writeSnaplogConfig } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

const MOUNTINFO = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '42 27 0:39 / /mnt/nfs rw,relatime shared:1 - nfs4 filer:/export/snaplog rw',
  '43 27 0:40 / /mnt/with\\040space rw - tmpfs tmpfs rw',
].join('\n');

describe('archive init: which paths it accepts (pure)', () => {
  const mounts = parseMountInfo(MOUNTINFO);

  it('reads mount points, types and sources from mountinfo, octal escapes included', () => {
    expect(mounts).toEqual([
      { mountPoint: '/', fsType: 'ext4', source: '/dev/vda' },
      { mountPoint: '/mnt/nfs', fsType: 'nfs4', source: 'filer:/export/snaplog' },
      { mountPoint: '/mnt/with space', fsType: 'tmpfs', source: 'tmpfs' },
    ]);
    expect(containingMount('/mnt/nfs/snaplog', mounts)?.mountPoint).toBe('/mnt/nfs');
    expect(containingMount('/mnt/nfsother', mounts)?.mountPoint).toBe('/');
  });

  it('accepts a mount point and a folder on a mounted share; refuses the root file system, a missing path, a file', () => {
    expect(initRefusal({ path: '/mnt/nfs', kind: 'directory', realPath: '/mnt/nfs', mounts })).toBeUndefined();
    expect(initRefusal({ path: '/mnt/nfs/snaplog', kind: 'directory', realPath: '/mnt/nfs/snaplog', mounts })).toBeUndefined();
    const unmounted = initRefusal({ path: '/mnt/backup', kind: 'directory', realPath: '/mnt/backup', mounts });
    expect(unmounted?.reason).toMatch(/\/mnt\/backup is not a mount point and not inside one: it is on the root file system \(ext4 \/dev\/vda\)/);
    expect(unmounted?.hint).toMatch(/^mount the share at \/mnt\/backup .*add --force/);
    expect(unmounted?.forceHelps).toBe(true);
    expect(initRefusal({ path: '/mnt/nfs/x', kind: 'missing', mounts })?.reason).toMatch(/does not exist/);
    expect(initRefusal({ path: '/etc/passwd', kind: 'other', mounts })?.forceHelps).toBe(false);
  });
});

describe('snaplog archive init on real folders and a real mount', () => {
  let dir: string;
  let rootFsDir: string;
  let mountPoint: string;
  let mounted = false;

  async function configFor(archivePath: string): Promise<string> {
    return (await writeSnaplogConfig({ socket: '/nonexistent.sock' }, { archivePath })).configPath;
  }

  beforeAll(async () => {
    dir = await makeTempDir('init');
    // A folder on the root file system (where an unmounted share's empty mount point would be).
    const mounts = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
    rootFsDir = await mkdtemp(join(containingMount(tmpdir(), mounts)?.mountPoint === '/' ? tmpdir() : '/', 'snaplog-test-rootfs-'));
    mountPoint = join(dir, 'share');
    await mkdir(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0750', 'snaplog-test-share', mountPoint]);
    mounted = true;
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [mountPoint]);
    await rm(rootFsDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a path that does not exist, says why, and creates nothing', async () => {
    const missing = join(dir, 'not-mounted', 'snaplog');
    const result = await snaplog(['archive', 'init', '--config', await configFor(missing)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^snaplog: refusing to initialise the archive: .*not-mounted\/snaplog does not exist/);
    expect(result.stderr).toMatch(/\nHINT: mount the share .*--force/);
    expect(existsSync(join(dir, 'not-mounted'))).toBe(false);
  });

  it('refuses a folder on the root file system, writes no marker; --force initialises it', async () => {
    const configPath = await configFor(rootFsDir);
    const refused = await snaplog(['archive', 'init', '--config', configPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not a mount point and not inside one: it is on the root file system/);
    expect(existsSync(join(rootFsDir, '.snaplog-archive'))).toBe(false);
    const forced = await snaplog(['archive', 'init', '--force', '--config', configPath]);
    expect(forced.code).toBe(0);
    expect(existsSync(join(rootFsDir, '.snaplog-archive'))).toBe(true);
    // Initialised once: a second init without --force has nothing to refuse.
    const again = await snaplog(['archive', 'init', '--config', configPath]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was already initialised');
  });

  it('--force creates a missing folder', async () => {
    const missing = join(dir, 'local', 'archive');
    expect((await snaplog(['archive', 'init', '--force', '--config', await configFor(missing)])).code).toBe(0);
    expect(existsSync(join(missing, '.snaplog-archive'))).toBe(true);
  });

  it('accepts a mount point and a folder on a mounted file system without --force', async () => {
    expect((await snaplog(['archive', 'init', '--config', await configFor(mountPoint)])).code).toBe(0);
    expect(existsSync(join(mountPoint, '.snaplog-archive'))).toBe(true);
    const inside = join(mountPoint, 'fleet');
    await mkdir(inside);
    expect((await snaplog(['archive', 'init', '--config', await configFor(inside)])).code).toBe(0);
  });

  it('refuses a file even with --force', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const result = await snaplog(['archive', 'init', '--force', '--config', await configFor(file)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/a-file is not a folder\nHINT: /);
  });

  it('the not-mounted error tells to mount the share, and archive init only for a new one', async () => {
    const bare = join(dir, 'bare');
    await mkdir(bare);
    const result = await snaplog(['list', '--config', await configFor(bare)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^snaplog: .*bare has no \.snaplog-archive marker/);
    expect(result.stderr).toMatch(/\nHINT: the share is probably not mounted: mount it .*'snaplog archive init' is only for a new share, once it is mounted/);
    expect(result.stderr).not.toMatch(/ArchiveNotMountedError/);
  });
});
