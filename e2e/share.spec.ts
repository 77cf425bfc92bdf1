import { expect, test } from '@playwright/test';

test('Share puts the exact trace in a link, and opening the link restores it', async ({ page, context }) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  const choices = panel.getByRole('button', { name: /^50% → / });
  await expect(choices).toHaveCount(2, { timeout: 15_000 });
  await choices.nth(1).click();
  await expect(panel.getByTestId('final')).toContainText('10.244.2.7:8080');
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByTestId('notice')).toContainText(/nothing was sent anywhere/);
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
