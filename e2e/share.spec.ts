import { expect, test } from '@playwright/test';

test('Share puts the exact trace in a link, and opening the link restores it', async ({ page, context }) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  const choices = panel.getByRole('button', { name: /^50% → / });
  await expect(choices).toHaveCount(2, { timeout: 15_000 });
  await choices.nth(1).click();
  await expect(panel.getByTestId('final')).toContainText('10.244.2.7:8080');
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByTestId('notice')).toContainText(/Nothing was sent anywhere/);
  const url = page.url();
  expect(url).toMatch(/#v1\.[A-Za-z0-9_-]+$/);

  const other = await context.newPage();
  await other.goto(url);
  const restored = other.getByTestId('packet-panel');
  await expect(restored.getByTestId('final')).toContainText('10.244.2.7:8080', { timeout: 15_000 });
  await expect(restored.getByRole('button', { name: /^50% → 10\.244\.2\.7:8080/ })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
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
  expect(text).toContain('**chainwalk trace**: tcp 10.244.0.5:40000 → 10.96.12.34:80');
  expect(text).toMatch(/\| 1 \| PREROUTING \| nat:PREROUTING:1 \| JUMP:KUBE-SERVICES \| line \d+: `-A PREROUTING/);
});

test('a link that would be too long holds only the chains the trace walks, and still restores it', async ({
  page,
  context,
}) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('final')).toContainText('%', { timeout: 15_000 });
  // The sample plus a filter table with 3,000 rules this packet never meets, with hard-to-compress comments.
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
  const extra = `\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:NOISE - [0:0]\n${noise.join('\n')}\nCOMMIT\n`;
  await page.evaluate((text) => navigator.clipboard.writeText(text), extra);
  await page.keyboard.press('ControlOrMeta+V');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('2 tables, 18 chains, 3,024 rules', { timeout: 15_000 });
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByTestId('notice')).toContainText('holds only the chains this trace walks');
  const url = page.url();
  expect(url.length).toBeLessThan(32_000);

  const other = await context.newPage();
  await other.goto(url);
  // Only the walked chains came along: the 3,000 NOISE rules did not.
  await expect(other.getByTestId('ruleset-summary')).toHaveText('2 tables, 15 chains, 15 rules', { timeout: 15_000 });
  await expect(other.getByTestId('packet-panel').getByTestId('final')).toContainText('50%: → 10.244.1.5:8080');
});
