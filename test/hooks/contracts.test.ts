/**
 * The pure rules behind the hooks' contracts with each backup agent: google-guest-agent's settings, the
 * freeze budget derived from an agent's timeout, Azure's diverting workload names, and how a second
 * product's freeze and thaw share one lock.
 */
import { describe, expect, it } from 'vitest';
import { GCP_CONFIG_SOURCES, parseAgentBool, resolveGcpSnapshotSettings } from '../../src/hooks/gcp-agent.js';
import { azureDivertsFor } from '../../src/hooks/checks.js';
import { coexistenceWarnings } from '../../src/hooks/status.js';
import { agentMarginSeconds, freezeBudget } from '../../src/freeze/deadline.js';
import { canJoinFreeze, decideNestedThaw } from '../../src/state/freeze-state.js';
import type { FreezeState, NestedFreeze } from '../../src/state/freeze-state.js';

const [CFG, DISTRO, TEMPLATE] = GCP_CONFIG_SOURCES;

describe("google-guest-agent's [Snapshots] settings", () => {
  it('accepts every boolean spelling go-ini accepts, and nothing else', () => {
    for (const yes of ['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', '1', 't', 'T', 'y']) expect(parseAgentBool(yes)).toBe(true);
    for (const no of ['false', 'no', 'off', '0', 'f', 'n', 'OFF']) expect(parseAgentBool(no)).toBe(false);
    for (const bad of ['tRuE', 'enabled', '', '2', 'Y']) expect(parseAgentBool(bad)).toBeUndefined();
  });

  it('defaults: off, 60 s', () => {
    const settings = resolveGcpSnapshotSettings([{ path: CFG, text: undefined }]);
    expect(settings.enabled).toEqual({ value: false });
    expect(settings.timeoutSeconds).toEqual({ value: 60 });
    expect(settings.problems).toEqual([]);
  });

  it("reads instance_configs.cfg with the agent's case-insensitive names, comments and quotes", () => {
    const settings = resolveGcpSnapshotSettings([{ path: CFG, text: '[snapshots]\nEnabled = "yes"\nTIMEOUT_IN_SECONDS = 90 ; ninety\n' }]);
    expect(settings.enabled).toEqual({ value: true, source: CFG, raw: 'yes' });
    expect(settings.timeoutSeconds).toEqual({ value: 90, source: CFG, raw: '90' });
  });

  it("a later file in the agent's order (.distro, then .template) overrides instance_configs.cfg", () => {
    const settings = resolveGcpSnapshotSettings([
      { path: CFG, text: '[Snapshots]\nenabled = true\ntimeout_in_seconds = 120\n' },
      { path: DISTRO, text: '[Snapshots]\ntimeout_in_seconds = 45\n' },
      { path: TEMPLATE, text: '[Snapshots]\nenabled = off\n' },
    ]);
    expect(settings.enabled).toEqual({ value: false, source: TEMPLATE, raw: 'off' });
    expect(settings.timeoutSeconds.value).toBe(45);
    expect(settings.timeoutSeconds.source).toBe(DISTRO);
  });

  it('values the agent cannot use are problems; the timeout then falls back to 60 for the budget', () => {
    const settings = resolveGcpSnapshotSettings([{ path: CFG, text: '[Snapshots]\nenabled = enabled\ntimeout_in_seconds = 1m\n' }]);
    expect(settings.enabled.value).toBe(false);
    expect(settings.timeoutSeconds.value).toBe(60);
    expect(settings.problems.join('\n')).toMatch(/enabled = 'enabled'.*not a boolean/);
    expect(settings.problems.join('\n')).toMatch(/timeout_in_seconds = '1m'.*not a positive whole number/);
  });
});

describe("the freeze budget under a backup agent's timeout", () => {
  it('keeps a margin of a quarter, between 1 and 10 s', () => {
    expect(agentMarginSeconds(60)).toBe(10);
    expect(agentMarginSeconds(300)).toBe(10);
    expect(agentMarginSeconds(20)).toBe(5);
    expect(agentMarginSeconds(2)).toBe(1);
  });

  it("the agent's 60 s (counted from when it started the hook) cut the 90 s freeze timeout to 50 s minus the start-up", () => {
    const budget = freezeBudget(1_000_500, 90, { startedMs: 1_000_000, timeoutSeconds: 60 });
    expect(budget.limitedBy).toBe('agent-timeout');
    expect(budget.deadlineMs).toBe(1_050_000);
    expect(budget.agentDeadlineMs).toBe(1_060_000);
    expect(budget.seconds).toBe(49.5);
  });

  it('a generous agent leaves the freeze timeout in charge but still records its deadline', () => {
    const budget = freezeBudget(0, 90, { startedMs: 0, timeoutSeconds: 600 });
    expect(budget).toEqual({ deadlineMs: 90_000, seconds: 90, limitedBy: 'freeze-timeout', agentDeadlineMs: 600_000, agentTimeoutSeconds: 600 });
    expect(freezeBudget(0, 90)).toEqual({ deadlineMs: 90_000, seconds: 90, limitedBy: 'freeze-timeout' });
  });
});

describe("Azure's workload names", () => {
  it('only oracle, mysql, mariadb and postgres make Azure take its own path', () => {
    for (const name of ['oracle', 'mysql', 'mariadb', 'postgres', 'MySQL', ' mariadb ']) expect(azureDivertsFor(name)).toBe(true);
    for (const name of ['iris', 'cache', 'mssql', 'postgresql-custom', '']) expect(azureDivertsFor(name)).toBe(false);
  });
});

describe('two products, one snapshot', () => {
  const frozen: FreezeState = { state: 'frozen', snapshotId: 's1', startedAt: 't0', product: 'veeam', holderPid: 1 };

  it("a freeze from another product joins a held lock; the same product's, an unheld or a half-taken one does not", () => {
    expect(canJoinFreeze(frozen, true, 'vmware')).toBe(true);
    expect(canJoinFreeze(frozen, true, 'veeam')).toBe(false);
    expect(canJoinFreeze(frozen, false, 'vmware')).toBe(false);
    expect(canJoinFreeze({ ...frozen, state: 'freezing' }, true, 'vmware')).toBe(false);
    expect(canJoinFreeze(frozen, true, undefined)).toBe(false);
  });

  const nested: NestedFreeze = { snapshotId: 's1', owner: 'veeam', participants: [{ product: 'vmware', joinedAt: 't1' }] };

  it("Veeam pre, VMware pre, VMware thaw, Veeam post: VMware's thaw keeps the lock, Veeam's releases it", () => {
    const first = decideNestedThaw(nested, 'vmware', false, 't2');
    expect(first.action).toBe('keep');
    if (first.action !== 'keep') return;
    expect(first.stillOpen).toEqual(['veeam']);
    expect(decideNestedThaw(first.nested, 'veeam', false, 't3')).toEqual({ action: 'release', failed: false });
  });

  it('in the other order the last thaw releases too; a freezeFail on the way marks the release failed', () => {
    const first = decideNestedThaw(nested, 'veeam', false, 't2');
    expect(first.action === 'keep' && first.stillOpen).toEqual(['vmware']);
    if (first.action !== 'keep') return;
    expect(decideNestedThaw(first.nested, 'vmware', true, 't3')).toEqual({ action: 'release', failed: true });
    const failedFirst = decideNestedThaw(nested, 'vmware', true, 't2');
    if (failedFirst.action !== 'keep') throw new Error('expected keep');
    expect(decideNestedThaw(failedFirst.nested, 'veeam', false, 't3')).toEqual({ action: 'release', failed: true });
  });

  it('a thaw by hand (no product) or from a product not taking part releases at once', () => {
    expect(decideNestedThaw(nested, undefined, false, 't2')).toEqual({ action: 'release', failed: false });
    expect(decideNestedThaw(nested, 'gcp', false, 't2')).toEqual({ action: 'release', failed: false });
  });

  it('hooks status explains Veeam with VMware Tools, and warns about any other pair', () => {
    expect(coexistenceWarnings(['veeam'])).toEqual([]);
    expect(coexistenceWarnings(['vmware', 'veeam'])[0]).toMatch(/Veeam job that quiesces with VMware Tools runs both.*join/);
    expect(coexistenceWarnings(['azure', 'gcp'])[0]).toMatch(/normally backed up by one product/);
  });
});
