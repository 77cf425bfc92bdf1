import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { generateKubeProxyDump, worstService } from '../bench/gen';
import { dropFile } from './helpers';

// Files onto the page and back: a dropped dump opens (a big one is read by the worker), and a
// trace whose link would be too long leaves as a trace file that opens the same trace again.

const POD = /sent to 10\.244\.\d+\.\d+:\d+/;

test('dropping a dump anywhere on the page opens it', async ({ page }) => {
  const dump = readFileSync(join(import.meta.dirname, '../fixtures/kernel/kube-cluster.rules'), 'utf8');
  await page.goto('/');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('3 tables, 45 chains, 88 rules', { timeout: 15_000 });
  await dropFile(page, page.getByTestId('canvas'), 'node-a.rules', dump);
  await expect(page.getByTestId('ruleset-summary')).toHaveText(/^3 tables, /);
  // A small dump goes into the editor, editable.
  await expect(page.getByTestId('editor').locator('.view-lines')).toContainText('*');
  await expect(page.getByTestId('big-dump')).toHaveCount(0);
});

test('a big dropped dump is read by the worker; Share saves a trace file that opens the same trace and step', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const services = 2000;
  const dump = generateKubeProxyDump({ services, seed: 1 });
  const target = worstService({ services, seed: 1 });
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await panel.getByLabel('destination').fill(`${target.ip}:${target.port}`);
  await panel.getByRole('button', { name: 'Trace' }).click();

  await dropFile(page, page.locator('header'), 'node-b.rules', dump);
  await expect(page.getByTestId('big-dump')).toContainText('dump from node-b.rules');
  await expect(panel.getByTestId('final')).toContainText(POD, { timeout: 30_000 });
  // The editor holds only the walked chains, read-only, with the current step's rule lit.
  await expect(page.getByTestId('big-dump')).toContainText(
    /Shown read-only: the chains this trace walks, [\d,]+ lines/,
    { timeout: 30_000 },
  );
  await expect(page.getByTestId('editor').locator('.view-lines')).toContainText('A slice of an iptables-save dump');

  // Another path (an endpoint), two steps in.
  await panel
    .getByRole('button', { name: /^1% → / })
    .nth(7)
    .click();
  const finalText = await panel.getByTestId('final').textContent();
  await panel.getByRole('button', { name: 'step forward' }).click();
  await panel.getByRole('button', { name: 'step forward' }).click();
  const counter = panel.getByTestId('step-counter');
  await expect(counter).toContainText('step 3 of');
  const counterText = await counter.textContent();

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Share' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('chainwalk-trace.chainwalk.json');
  await expect(page.getByTestId('notice')).toContainText('Drop it onto chainwalk to open the same trace');
  const saved = readFileSync(await file.path(), 'utf8');
  expect(JSON.parse(saved)).toMatchObject({ format: 'chainwalk-trace', version: 1, step: 2 });

  // A fresh browser: drop the file, get the same trace at the same step.
  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto('/');
  const restored = fresh.getByTestId('packet-panel');
  await expect(restored.getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await dropFile(fresh, fresh.getByTestId('canvas'), file.suggestedFilename(), saved);
  await expect(fresh.getByTestId('notice')).toContainText('Opened the trace in chainwalk-trace.chainwalk.json');
  await expect(restored.getByTestId('final')).toHaveText(finalText ?? '', { timeout: 30_000 });
  await expect(restored.getByTestId('step-counter')).toHaveText(counterText ?? '');
  await fresh.screenshot({ path: 'test-results/trace-file-restored.png' });
});

test('a dropped JSON file that is not a trace is refused with a message', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('3 tables, 45 chains, 88 rules', { timeout: 15_000 });
  await dropFile(page, page.locator('main'), 'package.json', '{"name":"not-a-trace"}');
  await expect(page.getByTestId('notice')).toContainText('package.json: This JSON file is not a chainwalk trace file.');
  await expect(page.getByTestId('ruleset-summary')).toHaveText('3 tables, 45 chains, 88 rules');
});
