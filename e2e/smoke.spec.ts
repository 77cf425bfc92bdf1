import { expect, test } from '@playwright/test';

// Everything the page loads comes from the preview server or is inline.
const local = /^(http:\/\/127\.0\.0\.1[:/]|data:|blob:)/;

test('the page opens on the sample dump, offline and without console errors', async ({ page }) => {
  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('request', (request) => {
    if (!local.test(request.url())) externalRequests.push(request.url());
  });

  await page.goto('/');

  await expect(page).toHaveTitle('chainwalk');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('chainwalk');
  // The sample dump is in the Monaco editor, highlighted as iptables-save.
  const editor = page.getByTestId('editor').locator('.monaco-editor');
  await expect(editor).toBeVisible({ timeout: 15_000 });
  await expect(editor.locator('.view-lines')).toContainText('*filter');
  await expect(editor.locator('.view-lines')).toContainText('-j KUBE-PROXY-FIREWALL');

  await page.screenshot({ path: 'test-results/smoke.png', fullPage: true });
  expect(consoleErrors).toEqual([]);
  expect(externalRequests).toEqual([]);
});

test('the page follows the system colour scheme', async ({ page }) => {
  const background = () => page.locator('#root > div').evaluate((el) => getComputedStyle(el).backgroundColor);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  const light = await background();
  expect(light).toBe('rgb(255, 255, 255)');

  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(background).not.toBe(light);
  await page.screenshot({ path: 'test-results/smoke-dark.png', fullPage: true });
});
