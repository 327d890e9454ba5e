import { userInfo } from 'node:os';

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isProcessAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The user this process runs as ('' when the system cannot tell, e.g. a uid without a passwd entry). */
export function currentUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
