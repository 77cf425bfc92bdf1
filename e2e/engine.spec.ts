import { expect, type Page, test } from '@playwright/test';

/** Select everything in the editor and paste `text` over it, as a person would. */
async function replaceDump(page: Page, text: string): Promise<void> {
  const editor = page.getByTestId('editor').locator('.monaco-editor');
  await expect(editor).toBeVisible({ timeout: 15_000 });
  await editor.locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

// The page talks to the engine worker: the sample is parsed and traced off the main thread.
test('the sample is parsed and traced in the worker, and a broken edit keeps the last good dump', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));

  await page.goto('/');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('3 tables, 45 chains, 88 rules');
  await expect(page.getByTestId('trace-summary')).toHaveText(
    /^Packet: ACCEPT → 10\.244\.(0\.5|1\.5|2\.7):8080 \(33\.3% of 3 paths\)$/,
  );
  await expect(page.getByTestId('engine-status')).toContainText(/Graph: \d+ nodes/);

  await replaceDump(page, '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j\nCOMMIT\n');
  await expect(page.getByTestId('engine-status')).toContainText('in the input: showing the last good dump');
  // The parser's error is a marker in the editor.
  await expect(page.getByTestId('editor').locator('.squiggly-error').first()).toBeAttached();
  await expect(page.getByTestId('ruleset-summary')).toHaveText('3 tables, 45 chains, 88 rules');

  await replaceDump(page, '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('1 table, 3 chains, 0 rules');
  await expect(page.getByTestId('trace-summary')).toHaveText('Packet: dropped');
  await expect(page.getByTestId('packet-panel').getByTestId('final-rule')).toHaveText(
    'by the policy of filter FORWARD (DROP): no rule there accepted it',
  );
  await page.screenshot({ path: 'test-results/engine.png', fullPage: true });
  expect(consoleErrors).toEqual([]);
});
