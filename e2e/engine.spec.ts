import { expect, test } from '@playwright/test';

// The page talks to the engine worker: the sample is parsed and traced off the main thread.
test('the sample is parsed and traced in the worker, and a broken edit keeps the last good dump', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));

  await page.goto('/');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('1 table, 14 chains, 24 rules');
  await expect(page.getByTestId('trace-summary')).toHaveText(
    /^Packet: ACCEPT → 10\.244\.(1\.5|2\.7):8080 \(50% of 2 paths\)$/,
  );
  await expect(page.getByTestId('engine-status')).toContainText(/Graph: \d+ nodes/);

  const dump = page.getByLabel('iptables-save dump');
  await dump.fill('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j\nCOMMIT\n');
  await expect(page.getByTestId('engine-status')).toContainText('in the input: showing the last good dump');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('1 table, 14 chains, 24 rules');

  await dump.fill('*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('1 table, 3 chains, 0 rules');
  await expect(page.getByTestId('trace-summary')).toHaveText('Packet: dropped');
  await page.screenshot({ path: 'test-results/engine.png', fullPage: true });
  expect(consoleErrors).toEqual([]);
});
