import { expect, test } from '@playwright/test';

test('the chain graph of the sample is drawn, with the packet’s route emphasised', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const canvas = page.getByTestId('canvas');
  await expect(canvas).toBeVisible({ timeout: 15_000 });
  // The spine's hooks and the sample's KUBE chains are nodes.
  await expect(canvas.locator('.react-flow__node').filter({ hasText: 'PREROUTING' }).first()).toBeVisible();
  await expect(canvas.locator('.react-flow__node').filter({ hasText: 'KUBE-SERVICES' }).first()).toBeVisible();
  await page.screenshot({ path: 'test-results/canvas.png' });
  // Edges on the route are animated.
  await expect(canvas.locator('.react-flow__edge.animated').first()).toBeAttached();
  expect(errors).toEqual([]);
});
