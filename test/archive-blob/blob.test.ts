import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { BlobDriver } from '../../src/archive/blob-driver.js';
import { parseBlobUrl, parseConnectionString, scrubSecrets } from '../../src/archive/blob-location.js';
import { startAzurite, AZURITE_ACCOUNT, AZURITE_KEY } from '../support/azurite.js';
import type { Azurite } from '../support/azurite.js';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('Azure Blob locations (pure)', () => {
  it('splits account-host and emulator URLs into container and prefix', () => {
    expect(parseBlobUrl('https://acct.blob.core.windows.net/snaplog/db/prod')).toEqual({
      containerUrl: 'https://acct.blob.core.windows.net/snaplog',
      prefix: 'db/prod',
    });
    expect(parseBlobUrl('http://127.0.0.1:10000/devstoreaccount1/snaplog')).toEqual({
      containerUrl: 'http://127.0.0.1:10000/devstoreaccount1/snaplog',
      prefix: '',
    });
  });
  it('reads connection strings and scrubs keys and SAS tokens from text', () => {
    expect(parseConnectionString('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k==;EndpointSuffix=core.windows.net')).toEqual({
      accountName: 'a',
      accountKey: 'k==',
    });
    expect(parseConnectionString('BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2024&sig=abc')).toEqual({ sas: 'sv=2024&sig=abc' });
    const scrubbed = scrubSecrets('GET https://a.blob.core.windows.net/c/x?sv=2024&sig=SECRETSIG failed; AccountKey=SECRETKEY;');
    expect(scrubbed).not.toMatch(/SECRETSIG|SECRETKEY/);
  });
});

describe('BlobDriver against Azurite (real blob service on loopback)', () => {
  let azurite: Azurite;
  let driver: BlobDriver;
  let container: ContainerClient;

  beforeAll(async () => {
    azurite = await startAzurite();
    container = new ContainerClient(`${azurite.endpoint}/contract`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    await container.create();
    driver = new BlobDriver(container, 'archive/prefix', `${azurite.endpoint}/contract/archive/prefix`);
  }, 30_000);
  afterAll(async () => {
    await azurite?.stop();
  });

  it('create never replaces: the second create says exists and the content stays', async () => {
    expect(await driver.createFile('sys/logs/a.000001', 'first')).toBe('created');
    expect(await driver.createFile('sys/logs/a.000001', 'second')).toBe('exists');
    expect((await driver.readFile('sys/logs/a.000001')).toString()).toBe('first');
  });

  it('concurrent creates of one name: exactly one wins and its bytes are what is stored', async () => {
    const contents = ['w0', 'w1', 'w2', 'w3', 'w4'].map((tag) => `${tag}-${'x'.repeat(1000)}`);
    const outcomes = await Promise.all(contents.map((content) => driver.createFile('sys/logs/race', content)));
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    expect((await driver.readFile('sys/logs/race')).toString()).toBe(contents[outcomes.indexOf('created')]);
  });

  it('a multi-block stream arrives whole, with the sha256 of its bytes in the blob metadata', async () => {
    const chunks = Array.from({ length: 20 }, (_, index) => Buffer.alloc(1 << 20, index));
    expect(await driver.createFromStream('sys/logs/big.000002', Readable.from(chunks))).toBe('created');
    const stored = await driver.readFile('sys/logs/big.000002');
    expect(stored.length).toBe(20 << 20);
    expect(sha256(stored)).toBe(sha256(Buffer.concat(chunks)));
    expect(await driver.storedSha256('sys/logs/big.000002')).toBe(sha256(Buffer.concat(chunks)));
    const streamed: Buffer[] = [];
    for await (const chunk of driver.openRead('sys/logs/big.000002')) streamed.push(chunk as Buffer);
    expect(sha256(Buffer.concat(streamed))).toBe(sha256(stored));
  });

  it('replace, list by folder, stat and remove; a missing blob is ENOENT', async () => {
    await driver.replaceFile('sys/snapshots/s1.json', '{"v":1}');
    await driver.replaceFile('sys/snapshots/s1.json', '{"v":2}');
    expect((await driver.readFile('sys/snapshots/s1.json')).toString()).toBe('{"v":2}');
    expect((await driver.list('.')).sort()).toEqual(['sys']);
    expect((await driver.list('sys')).sort()).toEqual(['logs', 'snapshots']);
    expect((await driver.list('sys/logs')).sort()).toEqual(['a.000001', 'big.000002', 'race']);
    expect((await driver.stat('sys/logs/a.000001'))?.size).toBe(5);
    expect(await driver.stat('sys/logs/none')).toBeUndefined();
    await expect(driver.readFile('sys/logs/none')).rejects.toMatchObject({ code: 'ENOENT' });
    await driver.remove('sys/snapshots/s1.json');
    expect(await driver.list('sys/snapshots')).toEqual([]);
  });
});

describe('snaplog with an Azure Blob archive (Azurite, real MariaDB): init, ship, verify, plan, restore', () => {
  let azurite: Azurite;
  let source: MariadbServer;
  let setup: SnaplogTestSetup;
  let secrets: string;
  let url: string;

  beforeAll(async () => {
    azurite = await startAzurite();
    await new ContainerClient(`${azurite.endpoint}/snaplog`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).create();
    url = `${azurite.endpoint}/snaplog/prod`;
    secrets = await makeTempDir('blobsecrets');
    await writeFile(join(secrets, 'blob.connection'), `${azurite.connectionString}\n`, { mode: 0o600 });
    source = await startMariadb();
    setup = await writeSnaplogConfig(source);
    const config = (await readFile(setup.configPath, 'utf8')).replace(
      /^path = .*$/m,
      `url = ${url}\nconnection_string_file = ${join(secrets, 'blob.connection')}`,
    );
    await writeFile(setup.configPath, config);
  }, 60_000);
  afterAll(async () => {
    await snaplog(['thaw', '--config', setup.configPath]).catch(() => undefined);
    await stopAllMariadb();
    await azurite?.stop();
    await removeDirs(source?.base, setup?.dir, secrets);
  });

  it('before init nothing is written; init creates the marker once', async () => {
    const early = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/marker/);
    const first = await snaplog(['archive', 'init', '--config', setup.configPath]);
    expect(first.stdout).toContain(`initialised the archive at ${url}`);
    expect((await snaplog(['archive', 'init', '--config', setup.configPath])).stdout).toContain('was already initialised');
  });

  it('ships, verifies, plans and restores from the blob archive to the same checksums as the source', async () => {
    const shop = (sql: string) => source.query(sql);
    await shop('CREATE DATABASE shop');
    await shop('CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(40), qty INT)');
    await shop("INSERT INTO shop.orders (item, qty) VALUES ('a', 1), ('b', 2)");
    const freeze = await snaplog(['freeze', '--config', setup.configPath]);
    expect(freeze.code, freeze.stderr).toBe(0);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);
    for (let i = 0; i < 50; i++) await shop(`INSERT INTO shop.orders (item, qty) VALUES ('i${i}', ${i})`);
    await shop('UPDATE shop.orders SET qty = qty + 1 WHERE id % 3 = 0');
    await shop('FLUSH BINARY LOGS');
    const ship = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(ship.code, ship.stderr).toBe(0);
    const verify = await snaplog(['verify', '--config', setup.configPath]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const plan = await snaplog(['plan', '--latest', '--json', '--config', setup.configPath]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).logs.length).toBeGreaterThan(0);

    // The "restored snapshot": a server holding exactly what the source held at the freeze.
    const target = await startMariadb();
    await target.query('CREATE DATABASE shop');
    await target.query('CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(40), qty INT)');
    await target.query("INSERT INTO shop.orders (item, qty) VALUES ('a', 1), ('b', 2)");
    const restore = await snaplog([
      'restore',
      '--latest',
      '--target-socket',
      target.socket,
      '--staging',
      join(target.base, 'staging'),
      '--config',
      setup.configPath,
    ]);
    expect(restore.code, restore.stderr).toBe(0);
    const [expected] = (await source.query('CHECKSUM TABLE shop.orders')) as { Checksum: string }[];
    const [restored] = (await target.query('CHECKSUM TABLE shop.orders')) as { Checksum: string }[];
    expect(restored!.Checksum).toBe(expected!.Checksum);
    await target.kill();
    await removeDirs(target.base);
  }, 120_000);

  it('blobs carry the sha256 of their bytes; the archived binlog equals the server’s', async () => {
    const container = new ContainerClient(`${azurite.endpoint}/snaplog`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    const logs: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: 'prod/', includeMetadata: true })) {
      if (/\/logs\/[^/]+\.\d+$/.test(blob.name)) {
        logs.push(blob.name);
        const bytes = await container.getBlockBlobClient(blob.name).downloadToBuffer();
        expect(blob.metadata?.sha256).toBe(sha256(bytes));
        expect(sha256(bytes)).toBe(sha256(await readFile(join(source.binlogDir, blob.name.split('/').pop()!))));
      }
    }
    expect(logs.length).toBeGreaterThan(0);
  });

  it('a wrong account key is a clear error without the key in it, and a loose secret file is refused', async () => {
    const wrong = join(secrets, 'wrong.connection');
    const bogusKey = Buffer.from('not-the-key-at-all-0123456789').toString('base64');
    await writeFile(wrong, `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${bogusKey};`, { mode: 0o600 });
    const config = join(secrets, 'wrong.conf');
    await writeFile(config, (await readFile(setup.configPath, 'utf8')).replace(/connection_string_file = .*/, `connection_string_file = ${wrong}`));
    const result = await snaplog(['list', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot read the archive at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/snaplog\/prod: .*HTTP 403/);
    expect(result.stderr).toMatch(/HINT: check the credentials/);
    expect(result.stderr + result.stdout).not.toContain(bogusKey);
    const loose = join(secrets, 'loose.connection');
    await writeFile(loose, azurite.connectionString, { mode: 0o644 });
    await writeFile(config, (await readFile(setup.configPath, 'utf8')).replace(/connection_string_file = .*/, `connection_string_file = ${loose}`));
    const refused = await snaplog(['list', '--config', config]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/loose\.connection/);
    expect(refused.stderr).not.toContain(AZURITE_KEY);
  });

  it('a SAS token in the url, or both path and url, are config errors naming file, line and key', async () => {
    const config = join(secrets, 'bad.conf');
    await writeFile(config, (await readFile(setup.configPath, 'utf8')).replace(/^url = .*$/m, `url = ${url}?sv=2024&sig=abc`));
    const sas = await snaplog(['config', 'check', '--config', config]);
    expect(sas.code).toBe(2);
    expect(sas.stderr).toMatch(/bad\.conf, line \d+, key 'url'/);
    expect(sas.stderr).not.toContain('sig=abc');
    await writeFile(config, (await readFile(setup.configPath, 'utf8')).replace(/^url = /m, 'path = /mnt/nfs/snaplog\nurl = '));
    const both = await snaplog(['config', 'check', '--config', config]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/both path and url/);
  });
});
