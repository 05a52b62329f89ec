// Every view against a stand-in admin API that answers with the documented shapes
// (support/fixtures.ts): figures on screen equal the answers, tenant and key actions work
// end to end, a missing endpoint gives a clear note, and the README screenshots are taken
// with an hour of history. The same checks run against the real gateway in
// dashboard-ledger.test.ts once it serves these routes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrowserTests } from './support/chromium.js';
import { screenshots, startDashboard, type Dashboard } from './support/dashboard.js';
import { FAKE_ADMIN_KEY, startFakeAdmin, type FakeAdmin } from './support/fake-admin.js';
import * as v from './support/views.js';

describe.skipIf(!runBrowserTests)('dashboard views on the documented API shapes', () => {
  let api: FakeAdmin;
  let dash: Dashboard;
  beforeAll(async () => {
    api = await startFakeAdmin();
    dash = await startDashboard(api.url);
  }, 60_000);
  afterAll(async () => {
    await dash?.close();
    await api?.close();
  });

  it('Estate shows cooling and ejected deployments with reason, time left and reservation use', async () => {
    const page = await dash.open('#/estate', FAKE_ADMIN_KEY);
    await page.waitForSelector('[data-estate] table');
    const ptu = '[data-deployment="azure-eastus-ptu"]';
    expect(await page.textContent(`${ptu} [data-field=reason]`)).toBe('5 consecutive failures, last: server_error');
    expect(await page.getAttribute(`${ptu} [data-field="reservation.utilisation"]`, 'data-value')).toBe('0.62');
    expect(await page.textContent(`${ptu} [data-field=reservation\\.utilisation]`)).toBe('62.0 %');
    expect(await page.getAttribute('[data-deployment="bedrock-inf"]', 'data-state')).toBe('cooling');
    expect(await page.textContent(`${ptu} [data-field=p99Ms]`)).toBe('420 ms');
    await screenshots(page, 'fixture-estate', '[data-estate] table');
    await page.close();
  });

  it('Traffic marks every minute with fail-overs, and has axes, units and a legend', async () => {
    const page = await dash.open('#/traffic', FAKE_ADMIN_KEY);
    await page.waitForSelector('svg[data-chart=traffic-chart]');
    const withFailovers = api.data.traffic.minutes.filter((m) => m.failovers > 0);
    expect(await page.locator('[data-mark]').count()).toBe(withFailovers.length);
    expect(await page.locator('svg[data-chart=traffic-chart] .axis.y text').first().textContent()).toBe('0');
    expect(await page.locator('ul.legend li').allTextContents()).toHaveLength(4);
    await screenshots(page, 'fixture-traffic', 'svg[data-chart=traffic-chart]');
    await page.close();
  });

  it('Contracts shows clauses as in force today, amendments, burn-down, shares, windows, reservations and exceptions', async () => {
    const page = await dash.open('#/contracts', FAKE_ADMIN_KEY);
    await page.waitForSelector('[data-commitment]');
    const r = api.data.reports;
    expect(await v.shownClauses(page)).toEqual(v.expectedClauses(api.data.contracts));
    expect(await v.shownCommitments(page)).toEqual(v.expectedCommitments(r.commitments));
    expect(await v.shownShares(page)).toEqual(v.expectedShares(r.shares));
    expect(await v.shownReservations(page)).toEqual(v.expectedReservations(r.reservations));
    expect(await page.locator('li[data-amendment]').count()).toBe(api.data.contracts.amendments.length);
    expect(await page.locator('[data-window]').evaluateAll((els) => els.map((e) => e.getAttribute('data-window')))).toEqual(['partner-exclusive-frontier', 'partner-early-access']);
    expect(await page.textContent('[data-commitment] [data-field=shortfallUsd]')).toBe('$89,500.00');
    expect(await page.locator('tr[data-exception]').count()).toBe(1);
    await screenshots(page, 'fixture-contracts', '[data-share] svg');
    await page.close();
  });

  it('Requests searches by request id and shows each attempt with its decision', async () => {
    const page = await dash.open('#/requests', FAKE_ADMIN_KEY);
    await page.waitForSelector('[data-results] table');
    await page.fill('#q-requestId', 'req_01HZX3');
    await page.click('form[data-search] button[type=submit]');
    await page.waitForURL(/requestId=req_01HZX3/);
    await expect.poll(() => page.locator('tr[data-request]').count()).toBe(2);
    const rows = api.data.rows.filter((x) => x.requestId === 'req_01HZX3');
    expect(await v.shownAttemptRows(page)).toEqual(rows.map((x) => ({ requestId: x.requestId, attemptNo: x.attemptNo, ...v.expectedAttempt(x) })));
    await screenshots(page, 'fixture-requests', '[data-results] table');
    await page.click('tr[data-request] a');
    await page.waitForSelector('[data-decision]');
    expect(await v.shownDecisions(page)).toEqual(v.expectedDecisions(api.data.details.req_01HZX3 as never));
    expect(await page.locator('tr[data-candidate].picked').count()).toBe(2);
    await screenshots(page, 'fixture-request', '[data-decision]');
    await page.close();
  });

  it('Tenants: list with usage against budget, create a tenant and a key (shown once), revoke it', async () => {
    const page = await dash.open('#/tenants', FAKE_ADMIN_KEY);
    await page.waitForSelector('tr[data-tenant]');
    expect(await v.shownTenants(page)).toEqual(v.expectedTenants({ tenants: api.data.tenants }));
    await screenshots(page, 'fixture-tenants', 'tr[data-tenant]');
    await page.fill('#t-name', 'Browser test');
    await page.fill('#t-budgetUsd', '250');
    await page.selectOption('#t-budgetPeriod', 'month');
    await page.click('form[data-create-tenant] button[type=submit]');
    await page.waitForSelector('tr[data-tenant="browser-test"]');
    expect(api.data.tenants.find((t) => t.id === 'browser-test')).toMatchObject({ budgetUsd: 250, budgetPeriod: 'month' });

    await page.click('tr[data-tenant="browser-test"] a');
    await page.waitForSelector('form[data-create-key]');
    await page.fill('#k-name', 'ci');
    await page.click('form[data-create-key] button[type=submit]');
    const secret = (await page.textContent('[data-new-key]'))!;
    expect(secret).toMatch(/^tr-[0-9a-f]{32}$/);
    await page.waitForSelector('tr[data-key]');
    await screenshots(page, 'fixture-tenant', '[data-secret-box]');
    await page.click('[data-secret-box] [data-dismiss]');
    expect(await page.content()).not.toContain(secret);

    page.once('dialog', (d) => void d.accept());
    await page.click('tr[data-key] button[data-action=revoke]');
    await page.waitForSelector('tr[data-key][data-revoked=true]');
    expect(api.data.keys['browser-test']![0]!.revokedAt).toEqual(expect.any(Number));
    await page.close();
  });
});

describe.skipIf(!runBrowserTests)('dashboard views on a build without the ledger and contract routes', () => {
  let api: FakeAdmin;
  let dash: Dashboard;
  beforeAll(async () => {
    api = await startFakeAdmin({ missing: ['/admin/contracts', '/admin/reports', '/admin/requests', '/admin/tenants'] });
    dash = await startDashboard(api.url);
  }, 60_000);
  afterAll(async () => {
    await dash?.close();
    await api?.close();
  });

  it('each view says plainly that the endpoint is not available in this build', async () => {
    const page = await dash.open('#/contracts', FAKE_ADMIN_KEY);
    await page.waitForSelector('[data-section=agreements] [data-not-available]');
    expect(await page.locator('[data-contracts] [data-not-available]').count()).toBe(6);
    expect(await page.textContent('[data-not-available]')).toMatch(/Not available in this build/);
    for (const [hash, sel] of [['#/requests', '[data-results] [data-not-available="/admin/requests"]'], ['#/tenants', '[data-tenants] [data-not-available="/admin/tenants"]']] as const) {
      await page.goto(`${dash.url}${hash}`);
      await page.waitForSelector(sel);
    }
    expect(await page.locator('form[data-create-tenant]').count()).toBe(0);
    await page.close();
  });
});
