/** Pure: `[metrics] listen` (host:port, loopback only — checked by the config schema) as socket options. */
export function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(listen.slice(at + 1)) };
}

/** Pure: bytes the archive is behind: the closed logs not yet shipped, plus the open log unless it is tailed. */
export function lagBytes(pendingSizes: readonly number[], openLogSize: number | undefined, tailing: boolean): number {
  return pendingSizes.reduce((sum, size) => sum + size, 0) + (tailing ? 0 : (openLogSize ?? 0));
}
