import { UsageError } from '../errors.js';

export const DEFAULT_REPORT_DAYS = 7;

/** `--days N` of report and list --timeline: whole days, 1 to 366. */
export function parseDays(text: string | undefined): number {
  if (text === undefined) return DEFAULT_REPORT_DAYS;
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1 || days > 366)
    throw new UsageError(`--days ${JSON.stringify(text)} is not a number of days from 1 to 366`, 'e.g. --days 7 (the default) or --days 30');
  return days;
}
