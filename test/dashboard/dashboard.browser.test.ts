/**
 * The local dashboard in a real browser (Debian's chromium driven by playwright-core): built from a
 * constructed temp lake, loaded from disk with every network request blocked, no console errors,
 * another SKU picked in the selector changes the chart; a screenshot goes to test-output/.
 */
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { planInventory } from '../../src/lib/pipeline/activities/planInventory';
import { writeDashboard } from '../../src/lib/dashboard';
import { createFixtureLake, fixtureOrigin, fixtureRunId, type FixtureLake } from '../publish/lakeFixture';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) console.warn(`Skipping the dashboard browser test: ${chromiumPath} is absent (apt-get install -y chromium).`);
const describeBrowser = hasChromium ? describe : describe.skip;

describeBrowser('local dashboard in chromium', () => {
  let fixture: FixtureLake;
  let browser: Browser;
  let htmlPath: string;

  beforeAll(async () => {
    fixture = await createFixtureLake();
    await planInventory({ runId: fixtureRunId, runDate: fixtureOrigin, startedAt: `${fixtureOrigin}T02:00:00Z` }, fixture.services);
    htmlPath = path.join(fixture.dir, 'out', 'dashboard.html');
    const written = await writeDashboard(fixture.services, { outputPath: htmlPath });
    expect(written).toEqual({ path: htmlPath, skus: 3 });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await fixture?.cleanup();
  });

  it('opens offline with no console errors, switches SKU and redraws the chart', async () => {
    const html = await fs.readFile(htmlPath, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing to fetch
    expect(html.length).toBeLessThan(400_000);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const network: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      network.push(url);
      return route.abort();
    });
    await page.goto(`file://${htmlPath}`);
    await page.waitForSelector('#forecast-chart canvas');

    // The first SKU shown is the most urgent inventory action.
    const firstSku = await page.locator('body').getAttribute('data-sku');
    expect(firstSku).not.toBeNull();
    const firstTitle = await page.textContent('#chart-title');
    expect(firstTitle).toContain(`SKU ${firstSku}`);
    const firstPixels = await page.locator('#forecast-chart canvas').screenshot();

    // Panels are filled from the inlined data.
    expect(await page.locator('#sku-select option').count()).toBe(3);
    expect(await page.locator('#actions tbody tr').count()).toBe(3);
    expect(await page.locator('#drift tbody tr').count()).toBe(2);
    expect(await page.textContent('#quality')).toContain('non_product_code');
    expect(await page.locator('#movers tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#accuracy-chart canvas').count()).toBe(1);
    expect(await page.textContent('#summary')).toContain(fixtureRunId);

    // Search narrows the selector; picking another SKU changes the title and what is drawn.
    const other = ['85123A', '22423', '47566'].find((s) => s !== firstSku)!;
    await page.fill('#sku-search', other.slice(0, 4));
    expect(await page.locator('#sku-select option').count()).toBe(1);
    await page.fill('#sku-search', '');
    await page.selectOption('#sku-select', other);
    await page.waitForSelector(`body[data-sku="${other}"]`);
    expect(await page.textContent('#chart-title')).toContain(`SKU ${other} — PRODUCT ${other}`);
    const otherPixels = await page.locator('#forecast-chart canvas').screenshot();
    expect(otherPixels.equals(firstPixels)).toBe(false);
    // The legend lists x + actual, forecast and the four quantile series.
    expect(await page.locator('#forecast-chart .u-legend tr').count()).toBe(7);

    mkdirSync(path.resolve(__dirname, '../../test-output'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, '../../test-output/dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(network).toEqual([]);
    await page.close();
  });
});
