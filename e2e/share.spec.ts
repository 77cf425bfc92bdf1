import { expect, test } from '@playwright/test';
import { deflateSync } from 'fflate';

test('Share puts the exact trace in a link, and a fresh browser opening it sees the same path and step', async ({
  page,
  browser,
}) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  const choices = panel.getByRole('button', { name: /^33\.33% → / });
  await expect(choices).toHaveCount(3, { timeout: 15_000 });
  await choices.nth(2).click();
  await expect(panel.getByTestId('final')).toContainText('10.244.2.7:8080');
  for (let i = 0; i < 5; i++) await panel.getByRole('button', { name: 'step forward' }).click();
  await expect(panel.getByTestId('step-counter')).toContainText('step 6 of');
  const explained = await panel.getByTestId('step-explain').textContent();
  const header = await panel.getByTestId('step-header').textContent();
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByTestId('notice')).toContainText(/Nothing was sent anywhere/);
  const url = page.url();
  expect(url).toMatch(/#v1\.[A-Za-z0-9_-]+$/);

  // A new browser context: no storage, no state shared with the first page.
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(url);
  const restored = other.getByTestId('packet-panel');
  await expect(restored.getByTestId('final')).toContainText('10.244.2.7:8080', { timeout: 15_000 });
  await expect(restored.getByRole('button', { name: /^33\.33% → 10\.244\.2\.7:8080/ })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(restored.getByTestId('step-counter')).toContainText('step 6 of');
  await expect(restored.getByTestId('step-explain')).toHaveText(explained ?? '');
  await expect(restored.getByTestId('step-header')).toHaveText(header ?? '');
  await other.screenshot({ path: 'test-results/permalink-restored.png', fullPage: true });
  await fresh.close();
});

test('a damaged link says so and shows the sample, never a broken page', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#v1.this-is-not-a-trace');
  await expect(page.getByTestId('notice')).toContainText(/This link is damaged.*sample is shown instead/);
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await page.screenshot({ path: 'test-results/bad-link.png' });
  expect(errors).toEqual([]);
});

test('Copy as Markdown puts the chosen path on the clipboard for a ticket', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await page.getByRole('button', { name: 'Copy as Markdown' }).click();
  await expect(page.getByTestId('notice')).toContainText('on the clipboard as Markdown');
  const text = await page.evaluate(() => navigator.clipboard.readText());
  expect(text).toContain('**chainwalk trace**: tcp 10.244.0.12:40000 → 10.96.12.34:80');
  expect(text).toMatch(/\| 2 \| PREROUTING \| nat:PREROUTING:1 \| JUMP:KUBE-SERVICES \| line \d+: `-A PREROUTING/);
});

test('a link that would be too long holds only the chains the trace walks, and still restores it', async ({
  page,
  context,
}) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('final')).toContainText('%', { timeout: 15_000 });
  // The sample plus a raw table with 3,000 rules this packet never meets, with hard-to-compress comments.
  let seed = 7;
  const hex = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed.toString(16).padStart(8, '0');
  };
  const noise = Array.from(
    { length: 3000 },
    (_, i) => `-A NOISE -s 10.${(i >> 8) & 255}.${i & 255}.1/32 -m comment --comment "${hex()}${hex()}" -j ACCEPT`,
  );
  const editor = page.getByTestId('editor').locator('.monaco-editor');
  await expect(editor).toBeVisible({ timeout: 15_000 });
  await editor.locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+End');
  // Pasted, as a person would (typing 300 kB takes too long).
  const extra = `\n*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:NOISE - [0:0]\n${noise.join('\n')}\nCOMMIT\n`;
  await page.evaluate((text) => navigator.clipboard.writeText(text), extra);
  await page.keyboard.press('ControlOrMeta+V');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('4 tables, 48 chains, 3,088 rules', { timeout: 15_000 });
  const final = await panel.getByTestId('final').textContent();
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByTestId('notice')).toContainText('holds only the chains this trace walks');
  const url = page.url();
  expect(url.length).toBeLessThan(32_000);

  const other = await context.newPage();
  await other.goto(url);
  // Only the walked chains came along: the 3,000 NOISE rules did not.
  const summary = other.getByTestId('ruleset-summary');
  await expect(summary).toHaveText(/^\d tables, \d+ chains, \d+ rules$/, { timeout: 15_000 });
  const [, chains, rules] = /(\d+) chains, (\d+) rules/.exec((await summary.textContent()) ?? '') ?? [];
  expect(Number(chains)).toBeLessThan(48);
  expect(Number(rules)).toBeLessThan(88);
  await expect(other.getByTestId('packet-panel').getByTestId('final')).toHaveText(final ?? '');
});

test('hostile links are refused cleanly: a decompression bomb, and markup where addresses belong', async ({ page }) => {
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  const bomb = deflateSync(new Uint8Array(80 << 20), { level: 1 });
  await page.goto(`/#v1.${b64url(bomb)}`);
  await expect(page.getByTestId('notice')).toContainText(/more than 64 MB.*sample is shown instead/);
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });

  const markup = '<img src=x onerror="alert(1)">';
  const hostile = {
    kind: 'iptables-save',
    text: `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "${markup}" -j ACCEPT\nCOMMIT\n`,
    context: { nodeIPs: [markup] },
    packet: { origin: 'external', proto: 'tcp', src: markup, sport: 1, dst: markup, dport: 2 },
    path: 0,
  };
  await page.goto(`/#v1.${b64url(deflateSync(new TextEncoder().encode(JSON.stringify(hostile))))}`);
  await page.reload();
  // Whatever the engine makes of it, the markup stays text and the page stays up.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('chainwalk');
  await expect(page.getByTestId('packet-panel')).toContainText('is not an IP address');
  // The graph of what did load is drawn all the same.
  await expect(page.getByTestId('canvas').locator('.react-flow__node').first()).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('editor').locator('.monaco-editor')).toBeVisible({ timeout: 15_000 });
  await page.screenshot({ path: 'test-results/hostile-link.png', fullPage: true });
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
});
