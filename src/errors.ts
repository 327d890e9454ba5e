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

  /** One line (or two with the hint) for the operator. */
  describe(): string {
    return this.hint ? `${this.name}: ${this.message}\nHINT: ${this.hint}` : `${this.name}: ${this.message}`;
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
    const where = [location.file, location.line === undefined ? undefined : `line ${location.line}`, location.key === undefined ? undefined : `key '${location.key}'`]
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

export function describeError(error: unknown): string {
  if (error instanceof SnaplogError) return error.describe();
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
