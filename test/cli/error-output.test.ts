import { describe, expect, it } from 'vitest';
import { cliErrorText, SnaplogError, UsageError } from '../../src/errors.js';
import { ArchiveDuplicateError } from '../../src/archive/errors.js';
import { snaplog } from '../support/cli.js';

const CLASS_NAME = /\b[A-Z][A-Za-z]*Error\b/;

describe('what a user sees when a command fails', () => {
  it('a typed error: snaplog: <message> and its HINT, no class name', () => {
    const text = cliErrorText(new ArchiveDuplicateError('mysql-bin.000001', 'sha256 differs'));
    expect(text).toMatch(/^snaplog: mysql-bin\.000001 already archived with a different checksum/);
    expect(text).toMatch(/\nHINT: a different log under the same name: a server restored from a snapshot or a failed-over replica reuses binlog names/);
    expect(text).not.toMatch(CLASS_NAME);
  });

  it('a typed error without a hint and an unexpected error both end with the generic HINT', () => {
    for (const error of [
      new SnaplogError('something broke'),
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      'a string',
      { some: 'object' },
    ]) {
      const text = cliErrorText(error);
      expect(text).toMatch(/^snaplog: /);
      expect(text.trimEnd().split('\n').pop()).toMatch(/^HINT: snaplog has no advice for this one: 'snaplog events'.*SNAPLOG_DEBUG=1/);
      expect(text).not.toMatch(CLASS_NAME);
      expect(text).not.toContain('{');
    }
  });

  it('SNAPLOG_DEBUG adds the stack trace for a bug report, never by default', () => {
    const error = new UsageError('bad flag', 'use --good');
    expect(cliErrorText(error)).not.toContain('    at ');
    expect(cliErrorText(error, { debug: true })).toContain('    at ');
  });

  it('usage errors from the command line parser say snaplog: … and point to the command --help', async () => {
    const unknownCommand = await snaplog(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toBe("snaplog: unknown command 'frobnicate'\nHINT: see 'snaplog --help' for the commands\n");
    const unknownOption = await snaplog(['archive', 'init', '--bogus']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toBe("snaplog: unknown option '--bogus'\nHINT: see 'snaplog archive init --help' for its options\n");
    const missingValue = await snaplog(['status', '--max-lag']);
    expect(missingValue.code).toBe(2);
    expect(missingValue.stderr).toMatch(/^snaplog: option '--max-lag <seconds>' argument missing\nHINT: see 'snaplog status --help'/);
    const badValue = await snaplog(['status', '--max-lag', 'soon']);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(
      /^snaplog: option '--max-lag <seconds>' argument 'soon' is invalid\. expected seconds .*\nHINT: see 'snaplog status --help'/,
    );
  });
});
