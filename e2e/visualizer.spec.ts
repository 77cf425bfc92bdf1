import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { pasteIntoEditor } from './helpers';

// The visualizer's promises to a first-time visitor and to someone pasting their own node.

test('the sample node opens with a packet already traced to a pod, and a hint of what to do next', async ({ page }) => {
  const started = Date.now();
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('final')).toContainText(/sent to 10\.244\.\d+\.\d+:8080/, { timeout: 15_000 });
  console.log(`sample: first trace shown ${Date.now() - started} ms after navigation`);
  await expect(page.getByTestId('hint')).toContainText('paste');
  await expect(panel.getByLabel(/what the sample node shows/)).toBeVisible();
  await page.screenshot({ path: 'test-results/first-minute.png', fullPage: true });
});

test('each scenario of the sample ends where it says, naming the rule that drops', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  const scenarios = panel.getByLabel(/what the sample node shows/);
  await expect(panel.getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await scenarios.selectOption({ label: 'externalTrafficPolicy Local, no pod here: dropped' });
  await expect(panel.getByTestId('final')).toContainText('100%: dropped (192.168.56.10:31090)');
  await expect(panel.getByTestId('final-rule')).toContainText('"shop/reports:http has no local endpoints"');
  await scenarios.selectOption({ label: 'A Service without endpoints: rejected' });
  await expect(panel.getByTestId('final')).toContainText('100%: rejected (10.96.50.5:6379)');
  await expect(panel.getByTestId('final-rule')).toContainText('shop/cart:redis has no endpoints');
  await scenarios.selectOption({ label: 'Hairpin: a pod calls its own Service and may reach itself' });
  await expect(panel.getByRole('button', { name: /^33\.33% → 10\.244\.0\.5:8080/ })).toBeVisible();
  await expect(panel.getByTestId('final')).toContainText('source masqueraded to 10.244.0.1');
  await page.screenshot({ path: 'test-results/scenario-hairpin.png', fullPage: true });
});

test('stepping and choosing a branch change the highlighted rule, the header view and the final card', async ({
  page,
}) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('final')).toContainText('10.244.0.5:8080', { timeout: 15_000 });
  const current = page.getByTestId('editor').locator('.cw-current-rule');
  const explain = panel.getByTestId('step-explain');
  const dstRow = panel.getByTestId('step-header').locator('tr', { hasText: 'destination' });
  // Forward to the DNAT: the header view shows the destination rewritten, and highlights it.
  const forward = panel.getByRole('button', { name: 'step forward' });
  for (let i = 0; i < 10 && !(await explain.textContent())?.startsWith('DNAT'); i++) await forward.click();
  await expect(explain).toHaveText(
    /^DNAT: the destination becomes 10\.244\.0\.5:8080, an endpoint of default\/web:http/,
  );
  await expect(dstRow).toHaveAttribute('data-changed', 'true');
  await expect(dstRow).toContainText('10.96.12.3410.244.0.5');
  await expect(current).toBeAttached();
  const dnatTop = await current.first().evaluate((el) => el.getBoundingClientRect().top);
  await page.screenshot({ path: 'test-results/step-dnat.png', fullPage: true });
  // Back one step: a different rule, and the destination no longer changes.
  await panel.getByRole('button', { name: 'step back' }).click();
  await expect(explain).toHaveText(/^picks endpoint 10\.244\.0\.5:8080 at random/);
  await expect(dstRow).not.toHaveAttribute('data-changed', 'true');
  await expect.poll(() => current.first().evaluate((el) => el.getBoundingClientRect().top)).not.toBe(dnatTop);
  // Another branch: the final card and the rule at this step follow it.
  await panel.getByRole('button', { name: /^33\.33% → 10\.244\.1\.5:8080/ }).click();
  await expect(panel.getByTestId('final')).toContainText('33.33%: sent to 10.244.1.5:8080 out of eth0, source kept');
  await panel.getByRole('button', { name: 'last step' }).click();
  await expect(panel.getByTestId('step-header').locator('tr', { hasText: 'destination' })).toContainText('10.244.1.5');
  await page.screenshot({ path: 'test-results/step-branch.png', fullPage: true });
});

test('pasting another dump updates the graph and the presets', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('final')).toContainText('%', { timeout: 15_000 });
  const presets = panel.getByLabel(/preset from this dump/);
  await expect(presets.locator('option', { hasText: 'shop/frontend:http' }).first()).toBeAttached();
  const other = readFileSync(join(import.meta.dirname, '../fixtures/kernel/kube-lb.rules'), 'utf8');
  await pasteIntoEditor(page, other);
  await expect(page.getByTestId('ruleset-summary')).toHaveText('3 tables, 58 chains, 117 rules', { timeout: 15_000 });
  // Presets now come from the pasted node's Services, and the sample's scenarios are gone.
  await expect(presets.locator('option', { hasText: 'default/edge:http' }).first()).toBeAttached();
  await expect(presets.locator('option', { hasText: 'shop/frontend:http' })).toHaveCount(0);
  await expect(panel.getByLabel(/what the sample node shows/)).toHaveCount(0);
  // The graph is the pasted dump's: one of its chains is drawn (or folded into its family's group).
  const canvas = page.getByTestId('canvas');
  await expect(
    canvas
      .locator('.react-flow__node')
      .filter({ hasText: /KUBE-(FW|EXT)-/ })
      .first(),
  ).toBeAttached();
  await expect(page.getByTestId('engine-status')).toContainText(/Graph: \d+ nodes/);
  await page.screenshot({ path: 'test-results/pasted-dump.png', fullPage: true });
});

test('a token carries the packet hop by hop; with reduced motion it jumps; the camera can follow it', async ({
  page,
}) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  const token = page.getByTestId('packet-token');
  await expect(token).toHaveAttribute('data-step', '0', { timeout: 15_000 });
  await panel.getByRole('button', { name: 'step forward' }).click();
  await expect(token).toHaveAttribute('data-step', '1');
  expect(await token.evaluate((el) => getComputedStyle(el).animationName)).toBe('cw-hop');
  // It travels a path from the previous node to this one.
  expect(await token.evaluate((el) => getComputedStyle(el).offsetPath)).toMatch(/^path\("M /);

  const viewport = page.getByTestId('canvas').locator('.react-flow__viewport');
  const before = await viewport.getAttribute('style');
  await page.getByLabel('follow the packet').check();
  await panel.getByRole('button', { name: 'step forward' }).click();
  await expect.poll(() => viewport.getAttribute('style')).not.toBe(before);
  await page.waitForTimeout(800);
  await page.screenshot({ path: 'test-results/token-follow.png', fullPage: true });

  await page.emulateMedia({ reducedMotion: 'reduce' });
  await panel.getByRole('button', { name: 'step forward' }).click();
  await expect(token).toHaveAttribute('data-step', '3');
  expect(await token.evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
});

test('the chain graph exports as a PNG', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('canvas').locator('.react-flow__node').first()).toBeVisible({ timeout: 15_000 });
  const started = Date.now();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export PNG' }).click({ noWaitAfter: true });
  const file = await download;
  console.log(`PNG export: ${Date.now() - started} ms`);
  expect(file.suggestedFilename()).toBe('chainwalk-graph.png');
  await file.saveAs('test-results/graph-export.png');
  const path = await file.path();
  const bytes = readFileSync(path);
  // A PNG, of real size (a blank image of this size compresses to a few kB).
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect(bytes.length).toBeGreaterThan(20_000);
  await expect(page.getByTestId('notice')).toContainText('saved as chainwalk-graph.png');
});

test('in the editor, hovering a chain shows its rules and Service, and go to definition goes to its rules', async ({
  page,
}) => {
  const dump = readFileSync(join(import.meta.dirname, '../fixtures/samples/iptables-node.rules'), 'utf8');
  const lines = dump.split('\n');
  const declared = lines.findIndex((l) => l.startsWith(':KUBE-SVC-'));
  const chain = lines[declared].slice(1, lines[declared].indexOf(' '));
  const rules = lines.filter((l) => l.startsWith(`-A ${chain} `));
  const firstRule = lines.findIndex((l) => l.startsWith(`-A ${chain} `)) + 1;
  const service = /--comment "?([\w-]+\/[\w.-]+:[\w-]+)/.exec(rules[0])?.[1];
  expect(service).toBeDefined();

  await page.goto('/');
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });
  const editor = page.getByTestId('editor');
  // Find the chain's declaration with Monaco's own find, so it is on screen.
  await editor.locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+F');
  await page.keyboard.type(`:${chain}`);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  const token = editor.locator('.view-line span span', { hasText: new RegExp(`^:${chain}$`) });
  await expect(token).toBeVisible();
  const box = await token.boundingBox();
  const onName = { x: (box?.width ?? 0) * 0.7, y: (box?.height ?? 0) / 2 };

  await token.hover({ position: onName });
  await expect(page.locator('.monaco-hover', { hasText: chain })).toContainText(
    `${rules.length} rule${rules.length === 1 ? '' : 's'} — Service ${service}`,
  );

  // Go to definition, the command ctrl/cmd-click runs (F12 here: Playwright's ctrl-held pointer does
  // not make Monaco's link): from the declaration to the chain's first rule.
  await page.mouse.move(0, 0);
  await token.click({ position: onName });
  await expect(editor.locator('.line-numbers.active-line-number')).toHaveText(String(declared + 1));
  await page.keyboard.press('F12');
  await expect(editor.locator('.line-numbers.active-line-number')).toHaveText(String(firstRule));
});
