import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { generateKubeProxyDump, worstService } from '../bench/gen';
import { dropFile, openAimedAt } from './helpers';

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
  const panel = await openAimedAt(page, target);

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

/** The line number Monaco prints beside the line marked as the current step's rule, or null. */
const markedLineNumber = (page: Page) =>
  page.evaluate(() => {
    const editor = document.querySelector('[data-testid="editor"]');
    const mark = editor?.querySelector('.cw-current-rule');
    if (!editor || !mark) return null;
    const top = mark.getBoundingClientRect().top;
    const number = [...editor.querySelectorAll('.line-numbers')].find(
      (n) => Math.abs(n.getBoundingClientRect().top - top) < 2,
    );
    return number ? Number(number.textContent) : null;
  });

test('a big dump shows whole on request: read-only, its own line numbers, the step marked, hovers from the engine', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const services = 2000;
  const dump = generateKubeProxyDump({ services, seed: 1 });
  const target = worstService({ services, seed: 1 });
  const lines = dump.split('\n');
  const panel = await openAimedAt(page, target);
  await dropFile(page, page.locator('header'), 'node-c.rules', dump);
  const banner = page.getByTestId('big-dump');
  await expect(panel.getByTestId('final')).toContainText(POD, { timeout: 30_000 });
  await banner.getByRole('button', { name: 'Show the whole dump' }).click({ timeout: 30_000 });
  await expect(banner).toContainText(`Shown read-only: the whole dump, ${lines.length.toLocaleString('en')} lines.`, {
    timeout: 60_000,
  });

  // A rule step: the editor marks the rule at the dump's own line number.
  const rule = panel.getByTestId('step-rule');
  for (let i = 0; i < 6 && (await rule.count()) === 0; i++)
    await panel.getByRole('button', { name: 'step forward' }).click();
  const [, line, text] = /^line (\d+): (.*)$/.exec((await rule.textContent()) ?? '') ?? [];
  expect(lines[Number(line) - 1]).toBe(text);
  await expect.poll(() => markedLineNumber(page)).toBe(Number(line));
  await page.screenshot({ path: 'test-results/big-dump-whole.png' });

  // Hovering a chain asks the engine, which holds every rule (the editor's text is not consulted):
  // here the marked rule's own chain, nat PREROUTING, the word at columns 4–13 of its line.
  const nat = dump.slice(dump.indexOf('*nat\n'));
  const count = nat
    .slice(0, nat.indexOf('\nCOMMIT'))
    .split('\n')
    .filter((l) => l.startsWith('-A PREROUTING ')).length;
  expect(text.startsWith('-A PREROUTING ')).toBe(true);
  const at = await page.evaluate(() => {
    const editor = document.querySelector('[data-testid="editor"]');
    const top = editor?.querySelector('.cw-current-rule')?.getBoundingClientRect().top;
    const line = [...(editor?.querySelectorAll('.view-line') ?? [])].find(
      (l) => top !== undefined && Math.abs(l.getBoundingClientRect().top - top) < 2,
    );
    const span = line?.querySelector('span');
    if (!span) return null;
    const box = span.getBoundingClientRect();
    // A monospace font: the width of one character.
    const char = box.width / (span.textContent ?? '').length;
    return { x: box.left + char * 7.5, y: box.top + box.height / 2 };
  });
  expect(at).not.toBeNull();
  await page.mouse.move(at?.x ?? 0, at?.y ?? 0);
  // (Monaco keeps a second, hidden hover element.)
  await expect(page.locator('.monaco-hover', { hasText: 'PREROUTING' })).toContainText(
    `nat: ${count} rule${count === 1 ? '' : 's'}, policy ACCEPT`,
    { timeout: 10_000 },
  );

  // Another path moves the mark; the editor keeps the whole dump.
  await panel
    .getByRole('button', { name: /^1% → / })
    .nth(3)
    .click();
  await expect(banner).toContainText('the whole dump');
});
