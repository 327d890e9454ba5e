import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intKey, loadConfig, parseConfigText, pathKey, rawSection, typedSection, type EngineConfigTable } from '../../src/config/index.js';
import { ENGINE_CONFIG } from '../../src/engines/registry.js';
import { asyncConfigErrorOf, configErrorOf, tempDir } from './helpers.js';

/** A test engine's section: the config loader learns it only from the table handed in. */
interface WidgetConfig {
  port: number;
  tokenFile?: string;
}

declare module '../../src/config/types.js' {
  interface EngineSectionValues {
    widget: WidgetConfig;
    gadget: Record<string, string>;
  }
}

const WIDGET_SECTION = typedSection({
  name: 'widget',
  keys: { port: intKey({ min: 1, max: 65535 }, 'a TCP port number', '7000', { default: 7000 }), token_file: pathKey('/etc/widget.token') },
  workloads: ['oracle'],
  workloadKeys: ['credString'],
  resolve: (values, context): WidgetConfig => {
    if (values.token_file === undefined) context.warn(context.headerLocation('token_file'), 'no token_file: the widget runs without one');
    return { port: values.port, ...(values.token_file === undefined ? {} : { tokenFile: values.token_file }) };
  },
  secretFiles: (widget) => [{ key: 'token_file', path: widget.tokenFile }],
});
const TABLE: EngineConfigTable = { workloadNames: ['oracle', 'mariadb'], sections: [WIDGET_SECTION, rawSection('gadget')] };
const FILE = '/etc/snaplog/snaplog.conf';
const BASE = '[workload]\nworkload_name = oracle\n[archive]\npath = /a\n';

describe('engine sections handed to the config loader', () => {
  it('resolves a typed section for its workload, with defaults, warnings and raw sections beside it', () => {
    const { config, warnings } = parseConfigText(`${BASE}[widget]\nport = 7100\n[gadget]\nAny_Key = x\n`, FILE, TABLE);
    expect(config.widget).toEqual({ port: 7100 });
    expect(config.gadget).toEqual({ Any_Key: 'x' });
    expect(warnings).toEqual([`${FILE}, line 5, key 'token_file': no token_file: the widget runs without one`]);
  });

  it("gives a wrong value in an engine section the same file, line, key and hint as snaplog's own keys", () => {
    const error = configErrorOf(() => parseConfigText(`${BASE}[widget]\nport = lots\n`, FILE, TABLE));
    expect(error.location).toEqual({ file: FILE, line: 6, key: 'port' });
    expect(error.message).toContain('expected a TCP port number (e.g. 7000), found "lots"');
    expect(error.hint).toContain('port = 7000');
  });

  it('suggests keys and sections of engine sections, and ignores a section its workload does not use', () => {
    const typo = parseConfigText(`${BASE}[widget]\nprt = 1\n[widgte]\nport = 1\n`, FILE, TABLE).warnings;
    expect(typo).toContain(`${FILE}, line 6, key 'prt': unknown key in [widget], ignored (did you mean 'port'?)`);
    expect(typo).toContain(`${FILE}, line 7: unknown section [widgte]; its keys are ignored (did you mean [widget]?)`);
    const other = parseConfigText(`${BASE.replace('oracle', 'mariadb\ncredString = x')}[widget]\nport = 1\n`, FILE, TABLE);
    expect(other.config.widget).toBeUndefined();
    expect(other.warnings).toEqual([
      `${FILE}, line 6: section [widget] is ignored: workload_name is mariadb`,
      `${FILE}, line 3, key 'credString': credString is accepted for compatibility with Azure Backup; snaplog does not use it for this workload`,
    ]);
  });

  it('asks for a mandatory key of an engine section only when the workload uses that section', () => {
    const needy = typedSection({
      name: 'widget',
      keys: { port: intKey({ min: 1, max: 65535 }, 'a TCP port number', '7000', { mandatory: true }) },
      workloads: ['oracle'],
      resolve: (values) => values,
    });
    const table: EngineConfigTable = { workloadNames: ['oracle', 'mariadb'], sections: [needy] };
    expect(parseConfigText(BASE.replace('oracle', 'mariadb'), FILE, table).config.widget).toBeUndefined();
    const error = configErrorOf(() => parseConfigText(BASE, FILE, table));
    expect(error.location).toEqual({ file: FILE, key: 'port' });
    expect(error.message).toContain('required in section [widget]');
    expect(error.hint).toContain('[widget]\nport = 7000');
  });

  it('accepts as workload_name only the names in the table, with the list and a suggestion', () => {
    const error = configErrorOf(() => parseConfigText(BASE.replace('oracle', 'orcle'), FILE, TABLE));
    expect(error.location).toEqual({ file: FILE, line: 2, key: 'workload_name' });
    expect(error.message).toContain('expected one of oracle, mariadb, found "orcle"');
    expect(error.hint).toContain('did you mean `workload_name = oracle`?');
    expect(configErrorOf(() => parseConfigText(BASE.replace('oracle', 'mysql'), FILE, TABLE)).message).toContain(
      'expected one of oracle, mariadb, found "mysql"',
    );
  });

  it('without the engine table an engine section is an unknown section', () => {
    const { config, warnings } = parseConfigText(`${BASE}[widget]\nport = 7100\n`, FILE, { workloadNames: ['oracle'], sections: [] });
    expect(config.widget).toBeUndefined();
    expect(warnings).toEqual([`${FILE}, line 5: unknown section [widget]; its keys are ignored`]);
  });

  it('checks the secret files an engine section names when the config is loaded', async () => {
    const dir = await tempDir();
    try {
      const token = await dir.file('widget.token', 'secret', 0o644);
      const conf = await dir.file('snaplog.conf', `${BASE}[widget]\ntoken_file = ${token}\n`);
      const error = await asyncConfigErrorOf(loadConfig(TABLE, { configPath: conf, workloadConfPath: join(dir.dir, 'none') }));
      expect(error.location).toEqual({ file: conf, line: 6, key: 'token_file' });
      expect(error.message).toContain('has mode 0644');
      expect(error.hint).toBe(`chmod 600 ${token}`);
    } finally {
      await dir.cleanup();
    }
  });

  it('src/config/ imports no engine, and every engine section is in the table', async () => {
    const folder = join(import.meta.dirname, '../../src/config');
    for (const name of await readdir(folder)) {
      const text = await readFile(join(folder, name), 'utf8');
      expect([name, /from '\.\.\/(engines|cli|restore|ship|freeze)\//.test(text)]).toEqual([name, false]);
    }
    expect(ENGINE_CONFIG.sections.map((section) => section.name)).toEqual(['mysql', 'oracle', 'iris']);
    expect(ENGINE_CONFIG.workloadNames).toEqual(['mysql', 'mariadb', 'oracle', 'iris', 'cache']);
  });
});
