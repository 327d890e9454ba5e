import { describe, expect, it } from 'vitest';
import { parseIni } from '../../src/config/index.js';
import { configErrorOf } from './helpers.js';

const FILE = '/etc/snaplog/snaplog.conf';

describe('parseIni', () => {
  it('reads sections, keys and values with their line numbers, keeping key case', () => {
    const doc = parseIni(
      [
        '; full-line comment',
        '# another',
        '',
        '[workload]',
        'workload_name = mysql',
        '  credString   =   --defaults-extra-file=/etc/mysql/backup.cnf  ',
        '[archive]   ; trailing comment on a header',
        'path=/mnt/nfs/snaplog',
      ].join('\n'),
      FILE,
    );
    expect(doc.sections).toEqual([
      { name: 'workload', line: 4 },
      { name: 'archive', line: 7 },
    ]);
    expect(doc.entries.map(({ section, key, value, line }) => ({ section, key, value, line }))).toEqual([
      { section: 'workload', key: 'workload_name', value: 'mysql', line: 5 },
      { section: 'workload', key: 'credString', value: '--defaults-extra-file=/etc/mysql/backup.cnf', line: 6 },
      { section: 'archive', key: 'path', value: '/mnt/nfs/snaplog', line: 8 },
    ]);
    expect(doc.entries[0]?.file).toBe(FILE);
    expect(doc.entries[2]?.sectionLine).toBe(7);
  });

  it('strips inline comments only when whitespace precedes ; or #', () => {
    const doc = parseIni('[s]\na = one ; comment\nb = two # comment\nc = th;ree\nd = fo#ur\ne = tab\t; comment\n', FILE);
    expect(doc.entries.map((e) => e.value)).toEqual(['one', 'two', 'th;ree', 'fo#ur', 'tab']);
  });

  it('keeps an empty value as the empty string (also when only a comment follows)', () => {
    const doc = parseIni('[workload]\nipc_folder =\ntimeout = ; Azure template leaves it empty\n', FILE);
    expect(doc.entries.map((e) => [e.key, e.value, e.line])).toEqual([
      ['ipc_folder', '', 2],
      ['timeout', '', 3],
    ]);
  });

  it('accepts CRLF line ends and a UTF-8 BOM', () => {
    const doc = parseIni('\uFEFF[workload]\r\nworkload_name = iris\r\n', FILE);
    expect(doc.sections[0]?.name).toBe('workload');
    expect(doc.entries[0]).toMatchObject({ key: 'workload_name', value: 'iris', line: 2 });
  });

  it('keeps only the first = as the separator', () => {
    const doc = parseIni('[workload]\ncredString = --defaults-file=/a=b\n', FILE);
    expect(doc.entries[0]?.value).toBe('--defaults-file=/a=b');
  });

  it.each([
    ['a line without =', '[archive]\n\npath /mnt/nfs\n', 3],
    ['an unclosed section header', '[workload]\nworkload_name = mysql\n[archive\n', 3],
    ['an empty section name', '[ ]\n', 1],
    ['text after a section header', '[archive] path = /x\n', 1],
    ['an empty key', '[archive]\n = /x\n', 2],
    ['a key before any section', '\n\npath = /x\n', 3],
  ])('reports %s as a ConfigError naming file and line', (_name, text, line) => {
    const error = configErrorOf(() => parseIni(text, FILE));
    expect(error.location).toMatchObject({ file: FILE, line });
    expect(error.message).toContain(`${FILE}, line ${line}`);
    expect(error.exitCode).toBe(2);
    expect(error.hint).toBeTruthy();
  });

  it('does not echo the text of a bad line (it could be a pasted password)', () => {
    const error = configErrorOf(() => parseIni('[mysql]\nS3cr3t-Passw0rd\n', FILE));
    expect(error.location.line).toBe(2);
    expect(error.describe()).not.toContain('S3cr3t-Passw0rd');
  });
});
