import { describe, expect, it } from 'vitest';
import { parseFifoMessage } from '../../src/freeze/thaw-fifo.js';
import { HOOK_PRODUCTS, planHooks } from '../../src/hooks/index.js';
import { hasNestedFreezeSync } from '../../src/state/freeze-state.js';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('the holder asks whether a nested freeze names its snapshot before acting on the FIFO', () => {
  it('no record or another snapshot: no; this snapshot, a torn record or a symlink: yes (snaplog thaw decides)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snaplog-test-nested-'));
    try {
      const file = join(dir, 'freeze-nested.json');
      expect(hasNestedFreezeSync(dir, 'S1')).toBe(false);
      await writeFile(file, JSON.stringify({ snapshotId: 'S0', owner: 'veeam', participants: [] }));
      expect(hasNestedFreezeSync(dir, 'S1')).toBe(false);
      await writeFile(file, JSON.stringify({ snapshotId: 'S1', owner: 'veeam', participants: [{ product: 'vmware' }] }));
      expect(hasNestedFreezeSync(dir, 'S1')).toBe(true);
      await writeFile(file, '{"snapshotId": "S');
      expect(hasNestedFreezeSync(dir, 'S1')).toBe(true);
      await rm(file);
      await writeFile(join(dir, 'elsewhere.json'), JSON.stringify({ snapshotId: 'S0' }));
      await symlink(join(dir, 'elsewhere.json'), file);
      expect(hasNestedFreezeSync(dir, 'S1')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the thaw FIFO message (pure)', () => {
  it('reads `thaw ID` and `fail ID`, with or without the newline', () => {
    expect(parseFifoMessage('thaw 20261130T023000Z-ab12\n')).toEqual({ request: 'thaw', snapshotId: '20261130T023000Z-ab12' });
    expect(parseFifoMessage('fail 20261130T023000Z-ab12')).toEqual({ request: 'fail', snapshotId: '20261130T023000Z-ab12' });
  });

  it('ignores anything else: other verbs, no id, extra words, odd characters', () => {
    for (const line of ['', 'thaw', 'release 1-2', 'thaw a b', 'thaw ../x', 'thaw a;b', `thaw ${'a'.repeat(65)}`, 'THAW abc']) {
      expect(parseFifoMessage(line)).toBeUndefined();
    }
  });
});

describe('the post scripts carry the fast path only with an ipc folder, the pre scripts never', () => {
  for (const product of HOOK_PRODUCTS) {
    it(product, () => {
      const command = ['/usr/bin/node', '/opt/snaplog/bin/snaplog'];
      const withIpc = planHooks(product, { snaplogCommand: command, ipcFolder: "/var/lib/snap'log/ipc" }).files.filter((file) => file.kind === 'script');
      const pre = withIpc.find((file) => /pre/.test(file.path))!;
      const post = withIpc.find((file) => /post/.test(file.path))!;
      expect(post.content).toContain("snaplog_ipc='/var/lib/snap'\\''log/ipc'");
      expect(post.content).toMatch(/snaplog_fast_thaw thaw; exec /);
      expect(pre.content).not.toContain('snaplog_fast_thaw');
      const without = planHooks(product, { snaplogCommand: command }).files.filter((file) => file.kind === 'script');
      for (const file of without) expect(file.content).not.toContain('snaplog_fast_thaw');
    });
  }

  it('vmware freezeFail sends fail; a relative ipc folder is refused', () => {
    const post = planHooks('vmware', { snaplogCommand: ['/usr/bin/node', '/s'], ipcFolder: '/ipc' }).files[1]!.content;
    expect(post).toContain("freezeFail) snaplog_fast_thaw fail; exec '/usr/bin/node' '/s' thaw --failed");
    expect(() => planHooks('veeam', { snaplogCommand: ['/usr/bin/node', '/s'], ipcFolder: 'ipc' })).toThrow(/must be absolute/);
  });
});
