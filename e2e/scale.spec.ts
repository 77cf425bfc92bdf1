import { expect, type Page, test } from '@playwright/test';
import { generateKubeProxyDump, worstService } from '../bench/gen';
import { isWithin, openAimedAt } from './helpers';

// A real node's size: 10,000 Services (bench/gen.ts, the benchmark's generator). Pasted as a person
// would, then traced. The figures are printed, not asserted: this machine is small and shared.
// Only a generous bound fails the test, so a hang or a freeze shows.

const SERVICES = 10_000;
const SANE_MS = 30_000;
const POD = /sent to 10\.244\.\d+\.\d+:\d+/;

interface Timings {
  /** Long tasks since the page opened: start and duration (ms). */
  longTasks: { start: number; duration: number }[];
  pasteAt?: number;
  tracedAt?: number;
}

/** Watches, from the first script on, for long tasks and for the final card reaching a pod. */
async function instrument(page: Page): Promise<void> {
  await page.addInitScript((podSource) => {
    const pod = new RegExp(podSource);
    const w = window as unknown as { __scale: Timings };
    w.__scale = { longTasks: [] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__scale.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    window.addEventListener(
      'keydown',
      (event) => {
        if (event.code === 'KeyV' && (event.ctrlKey || event.metaKey)) w.__scale.pasteAt = event.timeStamp;
      },
      true,
    );
    new MutationObserver(() => {
      if (w.__scale.pasteAt === undefined || w.__scale.tracedAt !== undefined) return;
      const final = document.querySelector('[data-testid="final"]');
      if (final && pod.test(final.textContent ?? '')) w.__scale.tracedAt = performance.now();
    }).observe(document, { subtree: true, childList: true, characterData: true });
  }, POD.source);
}

/** The timings, and the page's `chainwalk:` marks (ms since navigation). */
const timings = (page: Page) =>
  page.evaluate(() => {
    const t = (window as unknown as { __scale: Timings }).__scale;
    const marks = performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('chainwalk:'))
      .map((m) => ({ name: m.name.slice('chainwalk:'.length), at: m.startTime }));
    return { ...t, marks };
  });

type Task = Timings['longTasks'][number];

/** A long task as `97 ms at +230 (graph)`: its length, its start after the paste, the marks made in it. */
function describeTask(task: Task, pasteAt: number, marks: { name: string; at: number }[]): string {
  const inside = marks.filter((m) => m.at >= task.start && m.at <= task.start + task.duration + 0.5).map((m) => m.name);
  return `${Math.round(task.duration)} ms at +${Math.round(task.start - pasteAt)}${inside.length > 0 ? ` (${inside.join(', ')})` : ''}`;
}

/**
 * The long tasks from the paste on, split where the page takes over: until the `big dump` mark the
 * browser is handing the page the clipboard (`navigator.clipboard.read()` and `getType`, its own
 * tasks, no chainwalk code in them); from there on it is chainwalk's work.
 */
function splitTasks(t: Timings, pasteAt: number, takenAt: number): { browser: Task[]; own: Task[] } {
  const after = t.longTasks.filter((e) => e.start + e.duration >= pasteAt);
  return {
    browser: after.filter((e) => e.start + e.duration <= takenAt),
    own: after.filter((e) => e.start + e.duration > takenAt),
  };
}

const longest = (tasks: Task[]) => Math.round(Math.max(0, ...tasks.map((e) => e.duration)));

test('a 10k-Service dump pasted into the editor traces to a pod without freezing the page', async ({
  page,
  context,
}) => {
  test.setTimeout(180_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const dump = generateKubeProxyDump({ services: SERVICES, seed: 1 });
  const target = worstService({ services: SERVICES, seed: 1 });
  const lines = dump.split('\n').length - 1;
  console.log(
    `scale: dump of ${SERVICES.toLocaleString('en')} Services: ${dump.length.toLocaleString('en')} bytes, ${lines.toLocaleString('en')} lines`,
  );
  await instrument(page);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // The packet: from a pod to the dump's busiest Service (100 endpoints). The sample knows no such Service.
  const panel = await openAimedAt(page, target);
  await expect(panel.getByTestId('final')).not.toContainText(POD);

  await page.evaluate((text) => navigator.clipboard.writeText(text), dump);
  const editor = page.getByTestId('editor').locator('.monaco-editor');
  await editor.locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('ControlOrMeta+V');

  await expect(panel.getByTestId('final')).toContainText(POD, { timeout: SANE_MS });
  await expect(page.getByTestId('ruleset-summary')).toContainText(/\d{3},\d{3} rules/, { timeout: SANE_MS });
  // The graph of the new dump is drawn, opening on the spine where the walk starts.
  const canvas = page.getByTestId('canvas');
  // Folded into families ("KUBE-SEP ×…"): the graph of this dump has group nodes, the sample's none.
  // The packet starts in PREROUTING's first table.
  await expect(
    page
      .getByTestId('canvas')
      .locator('.react-flow__node', { hasText: /^KUBE-SEP/ })
      .first(),
  ).toBeAttached({
    timeout: SANE_MS,
  });
  await expect(canvas.locator('[data-current="true"]')).toHaveAttribute('title', 'mangle', { timeout: SANE_MS });
  const drawnAt = await page.evaluate(() => performance.now());
  // Let anything queued behind the graph run, so its long tasks are counted too.
  await page.waitForTimeout(1500);

  const t = await timings(page);
  expect(t.pasteAt, 'the paste was seen').toBeDefined();
  expect(t.tracedAt, 'the final card reached a pod').toBeDefined();
  const pasteAt = t.pasteAt as number;
  const pasteToTrace = (t.tracedAt as number) - pasteAt;
  const mounted = await canvas.locator('.react-flow__node').count();
  const status = await page.getByTestId('engine-status').textContent();
  console.log(`scale: paste-to-trace ${Math.round(pasteToTrace)} ms (target ≤ 2,000)`);
  console.log(`scale: paste-to-graph ${Math.round(drawnAt - pasteAt)} ms`);
  const takenAt = t.marks.find((m) => m.name === 'big dump' && m.at >= pasteAt)?.at;
  expect(takenAt, 'the page took the paste as a big dump').toBeDefined();
  const { browser, own } = splitTasks(t, pasteAt, takenAt as number);
  const list = (tasks: Task[]) => tasks.map((e) => describeTask(e, pasteAt, t.marks)).join(', ') || 'none';
  console.log(
    `scale: longest main-thread task from the paste on ${longest([...browser, ...own])} ms (target ≤ 50): ${longest(own)} ms in chainwalk's work, ${longest(browser)} ms in the browser's clipboard read`,
  );
  console.log(`scale: tasks ≥ 50 ms in chainwalk's work: ${list(own)}; in the clipboard read: ${list(browser)}`);
  console.log(
    `scale: answers and marks: ${t.marks
      .filter((m) => m.at >= pasteAt)
      .map((m) => `${m.name} +${Math.round(m.at - pasteAt)}`)
      .join(', ')}`,
  );
  console.log(`scale: mounted React Flow nodes ${mounted}; ${status}`);
  const worker = await page.getByTestId('ruleset-summary').getAttribute('title');
  console.log(`scale: ${worker}`);
  // The sample's scenarios and its name in the sample menu belong to the sample, not to this dump.
  await expect(panel.getByLabel(/what the sample node shows/)).toHaveCount(0);
  await expect(page.getByRole('combobox', { name: 'sample node', exact: true })).toHaveValue('');
  await page.screenshot({ path: 'test-results/scale.png' });
  expect(errors, 'no console errors').toEqual([]);

  expect(pasteToTrace).toBeLessThan(SANE_MS);
  expect(mounted).toBeGreaterThan(0);
  expect(mounted).toBeLessThanOrEqual(1000);

  // Stepping follows the packet: the view moves to the Service's chain, far down its family's column.
  const here = canvas.locator('[data-current="true"]');
  const counter = panel.getByTestId('step-counter');
  for (let i = 1; i < 8 && !((await here.textContent()) ?? '').includes(target.chain); i++) {
    await panel.getByRole('button', { name: 'step forward' }).click();
    await expect(counter).toContainText(`step ${i + 1} of`);
  }
  await expect(here).toContainText(target.chain);
  // Inside the canvas's frame (the page itself may have scrolled to the step buttons).
  await expect.poll(() => isWithin(here, canvas)).toBe(true);
  await page.screenshot({ path: 'test-results/scale-service.png' });

  // A preset from the dump's own Services traces to one of its pods too.
  const presets = panel.getByLabel(/preset from this dump/);
  const preset = presets.locator('option', { hasText: /cluster IP .* from a pod/ }).nth(5);
  await presets.selectOption({ label: (await preset.textContent()) ?? '' });
  await expect(panel.getByTestId('final')).toContainText(POD, { timeout: SANE_MS });
});

test('without clipboard permission a big paste still goes to the worker, not into Monaco', async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  // Only writing is allowed (to fill the clipboard): the page reads the paste event's own text.
  await context.grantPermissions(['clipboard-write']);
  const services = 2000;
  const dump = generateKubeProxyDump({ services, seed: 1 });
  const target = worstService({ services, seed: 1 });
  const panel = await openAimedAt(page, target);
  await page.evaluate((text) => navigator.clipboard.writeText(text), dump);
  await page.getByTestId('editor').locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('ControlOrMeta+V');
  await expect(page.getByTestId('big-dump')).toContainText(
    `${(dump.length / (1 << 20)).toFixed(1)} MB dump from the clipboard`,
  );
  await expect(panel.getByTestId('final')).toContainText(POD, { timeout: SANE_MS });
  await expect(page.getByTestId('ruleset-summary')).toContainText(/\d{2},\d{3} rules/);
  // The editor never took the paste: it shows the walked chains, a few hundred lines, not the dump's 140k.
  const banner = page.getByTestId('big-dump');
  await expect(banner).toContainText(/Shown read-only: the chains this trace walks, [\d,]+ lines/, {
    timeout: SANE_MS,
  });
  const viewLines = Number(/walks, ([\d,]+) lines/.exec((await banner.textContent()) ?? '')?.[1].replace(/,/g, ''));
  expect(viewLines).toBeGreaterThan(10);
  expect(viewLines).toBeLessThan(dump.split('\n').length / 100);
  // And it shows them from their first column: the view was not left scrolled where the paste's Ctrl+A was.
  const editor = page.getByTestId('editor');
  const first = editor.locator('.view-line', { hasText: 'A slice of an iptables-save dump' });
  await expect(first).toBeVisible();
  const [line, frame] = [await first.boundingBox(), await editor.boundingBox()];
  expect(line?.x ?? -1).toBeGreaterThanOrEqual(frame?.x ?? 0);
});
