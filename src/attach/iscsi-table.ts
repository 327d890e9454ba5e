/** A row of the table Azure's file-recovery script prints after it mounts the recovery volumes. */
export interface RecoveryVolume {
  serial: string;
  disk: string;
  volume: string;
  mountPath: string;
}

/**
 * Pure: parses `Sr.No. | Disk | Volume | MountPath` tables (pipes with optional padding and ruler lines).
 * Rows whose mount path is missing are skipped (e.g. volumes the script could not mount).
 */
export function parseRecoveryTable(output: string): RecoveryVolume[] {
  const lines = output.split('\n');
  const headerIndex = lines.findIndex((line) => /Sr\.?\s*No\.?/i.test(line) && /Mount\s*Path/i.test(line));
  if (headerIndex < 0) return [];
  const volumes: RecoveryVolume[] = [];
  for (const line of lines.slice(headerIndex + 1)) {
    if (!line.includes('|')) {
      if (volumes.length > 0 && line.trim() === '') break;
      continue;
    }
    const cells = line.split('|').map((cell) => cell.trim());
    while (cells.length && cells[0] === '') cells.shift();
    while (cells.length && cells[cells.length - 1] === '') cells.pop();
    if (cells.length < 4 || /^-+$/.test(cells[0] ?? '') || !/^\d+\)?\.?$/.test(cells[0] ?? '')) continue;
    const [serial, disk, volume, mountPath] = cells as [string, string, string, string];
    if (mountPath?.startsWith('/')) volumes.push({ serial, disk, volume, mountPath });
  }
  return volumes;
}
