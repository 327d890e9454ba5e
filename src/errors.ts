/**
 * Typed errors. Every error an operator can see carries a HINT that says what to do next,
 * in the manner of pgBackRest. `exitCode` follows the CLI contract: 1 = failure, 2 = bad usage/config.
 */
export class SnaplogError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: 1 | 2;

  constructor(message: string, options: { hint?: string; exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }

  /** One line (or two with the hint) for the operator: the message, never the class name. */
  describe(): string {
    return this.hint ? `${this.message}\nHINT: ${this.hint}` : this.message;
  }
}

/** Where a config value came from: every config error names file, line and key. */
export interface ConfigLocation {
  file: string;
  line?: number;
  key?: string;
}

export class ConfigError extends SnaplogError {
  readonly location: ConfigLocation;

  constructor(location: ConfigLocation, message: string, hint?: string) {
    const where = [
      location.file,
      location.line === undefined ? undefined : `line ${location.line}`,
      location.key === undefined ? undefined : `key '${location.key}'`,
    ]
      .filter((part) => part !== undefined)
      .join(', ');
    super(`${where}: ${message}`, { hint, exitCode: 2 });
    this.location = location;
  }
}

export class UsageError extends SnaplogError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: 2 });
  }
}

/** What went wrong, for a log line, a state file or an event: the message (and HINT), no class name, no stack. */
export function describeError(error: unknown): string {
  if (error instanceof SnaplogError) return error.describe();
  if (error instanceof Error) return error.message || 'an unexpected error without a message';
  if (typeof error === 'string') return error;
  return 'an unexpected error';
}

/** The HINT for an error nobody foresaw: where to look and how to report it. */
export const UNEXPECTED_ERROR_HINT =
  "snaplog has no advice for this one: 'snaplog events' and the ship service's log (journalctl -u snaplog-ship) may say more; " +
  'if it repeats, report it with the command you ran and its output with SNAPLOG_DEBUG=1 set (that adds the stack trace)';

/**
 * What the CLI prints on stderr for an error: `snaplog: <message>` and always a `HINT:` line — no class
 * name, no stack trace (SNAPLOG_DEBUG=1 adds the stack for a bug report).
 */
export function cliErrorText(error: unknown, options: { debug?: boolean } = {}): string {
  const message = error instanceof SnaplogError ? error.message : `unexpected error: ${describeError(error)}`;
  const hint = error instanceof SnaplogError && error.hint ? error.hint : UNEXPECTED_ERROR_HINT;
  const stack = options.debug && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  return `snaplog: ${message}\nHINT: ${hint}${stack}\n`;
}
