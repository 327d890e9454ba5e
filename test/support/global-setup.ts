import { readdirSync, readFileSync } from 'node:fs';
import { TEST_PREFIX } from './mariadb.js';

/**
 * Tests never leave servers running: test servers whose test process is gone (re-parented to init) are
 * killed here. Servers of another test run on the same machine still have their parent and are left alone.
 */
function killOrphanedServers(): void {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('mariadbd') || !cmdline.includes(TEST_PREFIX)) continue;
      const parent = Number(/^PPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (parent === 1 || parent === 0) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

export function setup(): void {
  killOrphanedServers();
}

export function teardown(): void {
  killOrphanedServers();
}
