import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { Archive } from '../../src/archive/archive.js';
import { snaplog } from '../support/cli.js';
import { planChain } from '../../src/engines/mysql/restore/plan.js';
import { utcInWords } from '../../src/report/words.js';
import { sampleFleet, writeFleetArchive } from './fleet-archive.js';
import type { FleetSystem } from './fleet-archive.js';

const CHROMIUM = '/usr/bin/chromium';

/** A page on which every request that is not file: or data: is aborted and recorded, with page errors. */
async function isolatedPage(browser: Browser): Promise<{ page: Page; blocked: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const blocked: string[] = [];
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // A blocked load (a CSP refusal included) shows as a console error.
  page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
  await page.route('**', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return { page, blocked, errors };
}

/** Decodes a PNG screenshot in a blank page: how many distinct colours, and the share of pixels that are not white. */
async function pixelStats(browser: Browser, png: Buffer): Promise<{ width: number; distinct: number; inked: number }> {
  expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
  const probe = await browser.newPage();
  try {
    // A string, not a function: the test transpiler must not rewrite what runs in the page.
    return (await probe.evaluate(`(async () => {
      const image = new Image();
      image.src = 'data:image/png;base64,${png.toString('base64')}';
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set();
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) {
        const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        colours.add(key);
        if (key !== 0xffffff) inked++;
      }
      return { width: canvas.width, distinct: colours.size, inked: inked / (data.length / 4) };
    })()`)) as { width: number; distinct: number; inked: number };
  } finally {
    await probe.close();
  }
}

/** The words of a command as the page shows it (the sample archive's names need no quoting). */
const words = (command: string): string[] => command.trim().split(/\s+/);

describe.skipIf(!existsSync(CHROMIUM))('snaplog report opened in a real headless browser (Debian chromium, every network request blocked)', () => {
  let dir: string;
  let archivePath: string;
  let configPath: string;
  let fleet: FleetSystem[];
  let browser: Browser;
  const fleetReport = (): string => join(dir, 'fleet.html');

  beforeAll(async () => {
    dir = await makeTempDir('report');
    archivePath = join(dir, 'archive');
    fleet = sampleFleet(Date.now());
    await writeFleetArchive(archivePath, fleet);
    configPath = join(dir, 'snaplog.conf');
    await writeFile(
      configPath,
      [
        '[workload]',
        'workload_name = mariadb',
        `ipc_folder = ${join(dir, 'ipc')}`,
        '',
        '[mysql]',
        `socket = ${join(dir, 'no-server.sock')}`,
        'user = root',
        '',
        '[archive]',
        `path = ${archivePath}`,
        '',
      ].join('\n'),
    );
    await chmod(configPath, 0o600);
    const result = await snaplog(['report', '--all', '--config', configPath, '--out', fleetReport()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`report written to ${fleetReport()} (3 systems, 2 needing attention)\n`);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });
  afterAll(async () => {
    await browser?.close();
    await removeDirs(dir);
  });

  it('the fleet page: one row and one timeline per system of the archive, worst first; marks and recovery points as in the archive; no request leaves the page', async () => {
    const { page, blocked, errors } = await isolatedPage(browser);
    await page.goto(`file://${fleetReport()}`);
    const systemsInArchive = (await readdir(archivePath)).filter((entry) => !entry.startsWith('.'));
    await expect(page.locator('#fleet tbody tr').count()).resolves.toBe(systemsInArchive.length);
    await expect(page.locator('section.system').count()).resolves.toBe(systemsInArchive.length);
    expect(await page.locator('#fleet tbody tr td:nth-child(2)').allInnerTexts()).toEqual(['db-stale', 'db-gapped', 'db-healthy']);
    expect(await page.locator('#fleet tbody tr td.level').allInnerTexts()).toEqual(['CRITICAL', 'WARNING', 'OK']);
    for (const system of fleet) {
      const section = page.locator(`section.system[data-system="${system.systemId}"]`);
      await expect(section.locator('g.snapshot').count()).resolves.toBe(system.snapshots.length);
      await expect(section.locator('rect.gap').count()).resolves.toBe(system.gaps);
      const rpo = await section.locator('.rpo').innerText();
      expect(rpo).toContain(`Recovery point ${utcInWords(system.recoveryPoint)} (${system.logs.at(-1)!.name})`);
      await expect(section.locator('line.recovery-point').count()).resolves.toBe(1);
    }
    expect(await page.locator('section[data-system="db-stale"] .rpo').innerText()).toMatch(
      /: 2 h 10 min behind — no log shipped since .*: shipping is failing/,
    );
    expect(await page.locator('#fleet tbody tr').first().locator('td.gaps-cell').innerText()).toBe('0');
    expect(await page.locator('#fleet tbody tr').nth(1).locator('td.gaps-cell').innerText()).toBe('2');

    const shot = join(dir, 'fleet.png');
    await page.screenshot({ path: shot, fullPage: true });
    const stats = await pixelStats(browser, await readFile(shot));
    expect(stats.width).toBe(1200);
    expect(stats.distinct).toBeGreaterThan(20);
    expect(stats.inked).toBeGreaterThan(0.05);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a system page: the detail of a snapshot shows its position, GTID and a plan command that snaplog plan accepts', async () => {
    const system = fleet.find((candidate) => candidate.systemId === 'db-gapped')!;
    const { page, blocked, errors } = await isolatedPage(browser);
    const index = await (async () => {
      await page.goto(`file://${fleetReport()}`);
      return page.locator('section.system').evaluateAll((sections) => sections.map((section) => section.getAttribute('data-system')).indexOf('db-gapped'));
    })();
    await page.locator('#fleet a', { hasText: 'db-gapped' }).click();
    expect(page.url()).toMatch(new RegExp(`#sys-${index}$`));
    expect(await page.locator('#fleet').isVisible()).toBe(false);
    expect(await page.locator('section.system:visible').count()).toBe(1);

    const section = page.locator(`#sys-${index}`);
    const last = system.snapshots.at(-1)!;
    await section.locator('g.snapshot').last().click();
    const detail = section.locator('.detail');
    await expect(detail.isVisible()).resolves.toBe(true);
    const text = await detail.innerText();
    expect(text).toContain(`snapshot ${last.id} (consistent)`);
    expect(text).toContain(`${last.position!.file}:${last.position!.position}`);
    expect(text).toContain(last.position!.gtid!);
    const plan = await detail.locator('pre.plan').innerText();
    const restore = await detail.locator('pre.restore').innerText();
    expect(plan).toBe(`snaplog plan --system db-gapped --snapshot ${last.id} --latest`);
    expect(restore).toBe(`snaplog restore --system db-gapped --snapshot ${last.id} --latest --datadir /mnt/restored/var/lib/mysql`);

    const [program, ...args] = words(plan);
    expect(program).toBe('snaplog');
    const planned = await snaplog([...args, '--config', configPath, '--json']);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    const json = JSON.parse(planned.stdout) as { snapshot: { id: string }; restorable: { to: string }; stop: { endOfChain: boolean } };
    expect(json.snapshot.id).toBe(last.id);
    expect(json.restorable.to).toBe(system.recoveryPoint);
    expect(json.stop.endOfChain).toBe(true);

    // The failed snapshot offers no command, and says why.
    await section.locator('g.snapshot.kind-failed').click();
    expect(await detail.innerText()).toContain('the freeze holder died');
    await expect(detail.locator('pre').count()).resolves.toBe(0);

    // A click inside a restorable window gives the command for that moment; the planner reaches it from that snapshot.
    const window = section.locator('rect.window').nth(1);
    await window.click();
    const atPlan = words(await detail.locator('pre.plan').innerText());
    const to = atPlan[atPlan.indexOf('--to') + 1]!;
    const snapshotId = atPlan[atPlan.indexOf('--snapshot') + 1]!;
    expect(to).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const chain = planChain({ snapshots: system.snapshots, logs: system.logs, target: { kind: 'time', time: Date.parse(to) / 1000, text: to }, snapshotId });
    expect(chain.snapshot.id).toBe(snapshotId);
    expect(chain.boundaryLog).toBeDefined();

    const shot = join(dir, 'system.png');
    await page.screenshot({ path: shot, fullPage: true });
    const stats = await pixelStats(browser, await readFile(shot));
    expect(stats.distinct).toBeGreaterThan(20);
    expect(stats.inked).toBeGreaterThan(0.05);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('one system (no --all): its timeline without the fleet table; list --timeline draws the same in the terminal', async () => {
    const out = join(dir, 'one.html');
    const result = await snaplog(['report', '--system', 'db-gapped', '--days', '3', '--config', configPath, '--out', out]);
    expect(result.code).toBe(0);
    const { page, blocked, errors } = await isolatedPage(browser);
    await page.goto(`file://${out}`);
    await expect(page.locator('#fleet').count()).resolves.toBe(0);
    await expect(page.locator('section.system').count()).resolves.toBe(1);
    // Three days: the timed-out and the last consistent snapshot, the gap at mysql-bin.000120.
    await expect(page.locator('g.snapshot').count()).resolves.toBe(2);
    await expect(page.locator('rect.gap').count()).resolves.toBe(1);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();

    const list = await snaplog(['list', '--timeline', '--system', 'db-gapped', '--config', configPath]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('GAP ');
    expect(list.stdout).toContain('(mysql-bin.000040, mysql-bin.000041, mysql-bin.000042) between mysql-bin.000039 and mysql-bin.000043');
    expect(list.stdout).toContain(`recovery point ${utcInWords(fleet[1]!.recoveryPoint)} (mysql-bin.000168)`);
  });

  it('bad options are refused with a hint, exit 2, and write nothing', async () => {
    const out = join(dir, 'bad.html');
    const days = await snaplog(['report', '--days', '0', '--config', configPath, '--out', out]);
    expect(days.code).toBe(2);
    expect(days.stderr).toMatch(/--days "0" is not a number of days from 1 to 366\nHINT: /);
    const both = await snaplog(['report', '--all', '--system', 'db-stale', '--config', configPath, '--out', out]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/HINT: /);
    const several = await snaplog(['report', '--config', configPath, '--out', out]);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/several systems: .*\nHINT: pick one with --system ID/);
    expect(existsSync(out)).toBe(false);
    const nowhere = await snaplog(['report', '--all', '--config', configPath, '--out', join(dir, 'no-such-folder', 'r.html')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/cannot write the report to .*no-such-folder\/r\.html: ENOENT\nHINT: give --out a file in an existing folder/);
    const listDays = await snaplog(['list', '--days', '3', '--system', 'db-stale', '--config', configPath]);
    expect(listDays.code).toBe(2);
    expect(listDays.stderr).toMatch(/--days goes with --timeline\nHINT: /);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('snaplog report of a real archive (real MariaDB, ship, freeze/thaw) in headless chromium', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let browser: Browser;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server);
    const run = async (args: string[]): Promise<void> => {
      const result = await snaplog([...args, '--config', setup.configPath]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    };
    await run(['archive', 'init', '--force']);
    await server.query('CREATE DATABASE shop');
    await server.query('CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40))');
    await server.query("INSERT INTO shop.orders (note) VALUES ('before the snapshot')");
    await server.query('FLUSH BINARY LOGS');
    await run(['ship', '--once']);
    await run(['freeze']);
    await run(['thaw']);
    // Commits in distinct seconds after the snapshot: the window has moments inside it (stamps are whole seconds).
    for (let i = 0; i < 4; i++) {
      await new Promise((done) => setTimeout(done, 1100));
      await server.query('INSERT INTO shop.orders (note) VALUES (?)', [`after ${i}`]);
    }
    await server.query('FLUSH BINARY LOGS');
    await run(['ship', '--once']);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });
  afterAll(async () => {
    await browser?.close();
    await snaplog(['thaw', '--config', setup?.configPath ?? '']).catch(() => undefined);
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('one snapshot mark, no gap, the recovery point of the archive; a click inside the window gives a --to command that snaplog plan stops exactly at', async () => {
    const out = join(setup.dir, 'report.html');
    const result = await snaplog(['report', '--days', '1', '--config', setup.configPath, '--out', out]);
    expect(result.code).toBe(0);
    const archive = await Archive.open(setup.archivePath);
    const [systemId] = await archive.systemIds();
    const logs = (await archive.listLogs(systemId!)).map((log) => log.metadata!);
    const lastCommit = logs
      .map((log) => log.lastCommitTime ?? '')
      .sort()
      .at(-1)!;

    const { page, blocked, errors } = await isolatedPage(browser);
    await page.goto(`file://${out}`);
    await expect(page.locator('g.snapshot.kind-consistent').count()).resolves.toBe(1);
    await expect(page.locator('rect.gap').count()).resolves.toBe(0);
    expect(await page.locator('.rpo').innerText()).toContain(`Recovery point ${utcInWords(lastCommit)}`);

    // The window is a few seconds wide in a day: a click at its left edge is a moment just after the snapshot.
    await page.locator('rect.window').click({ position: { x: 0.5, y: 10 } });
    const detail = page.locator('.detail');
    const planWords = words(await detail.locator('pre.plan').innerText());
    expect(planWords.slice(0, 2)).toEqual(['snaplog', 'plan']);
    const to = planWords[planWords.indexOf('--to') + 1]!;
    expect(to).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await detail.locator('pre.restore').innerText()).toBe(
      `${planWords.join(' ').replace('snaplog plan', 'snaplog restore')} --datadir /mnt/restored/var/lib/mysql`,
    );

    const planned = await snaplog([...planWords.slice(1), '--config', setup.configPath, '--json']);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout) as { stop: { lastApplied?: { commitTime?: string }; firstExcluded?: { commitTime?: string } } };
    // Exactly at the moment: nothing committed after it is applied (before the first commit after the snapshot, nothing is).
    if (plan.stop.lastApplied) expect(Date.parse(plan.stop.lastApplied.commitTime!)).toBeLessThanOrEqual(Date.parse(to));
    expect(Date.parse(plan.stop.firstExcluded!.commitTime!)).toBeGreaterThan(Date.parse(to));
    expect(await detail.innerText()).toContain(`moment\n${to}`);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
