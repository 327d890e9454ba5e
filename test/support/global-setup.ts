import { execFileSync } from 'node:child_process';
import { TEST_PREFIX } from './mariadb.js';

/** Tests never leave servers running: whatever a crashed test file left behind is killed here. */
function killStrayServers(): void {
  try {
    execFileSync('pkill', ['-9', '-f', `mariadbd.*${TEST_PREFIX}`], { stdio: 'ignore' });
  } catch {
    // none left: pkill exits 1
  }
}

export function setup(): void {
  killStrayServers();
}

export function teardown(): void {
  killStrayServers();
}
