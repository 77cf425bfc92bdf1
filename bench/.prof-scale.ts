import { writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { generateKubeProxyDump, worstService } from './gen';

const dump = generateKubeProxyDump({ services: 10000, seed: 1 });
const target = worstService({ services: 10000, seed: 1 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-gpu', '--no-sandbox'] });
const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
await context.grantPermissions(['clipboard-read', 'clipboard-write']);
const page = await context.newPage();
await page.addInitScript(() => {
  const w = window as unknown as { __lt: { start: number; duration: number }[] };
  w.__lt = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__lt.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });
});
await page.goto(process.env.URL ?? 'http://127.0.0.1:4292/');
const panel = page.getByTestId('packet-panel');
await panel.getByTestId('final').waitFor();
await page.waitForTimeout(1500);
await panel.getByLabel('destination').fill(`${target.ip}:${target.port}`);
await panel.getByRole('button', { name: 'Trace' }).click();
await page.waitForTimeout(500);
await page.evaluate((t) => navigator.clipboard.writeText(t), dump);
const cdp = await context.newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
const t0 = (await page.evaluate(`(() => { const t = performance.now(); (function cwMarker() { const end = performance.now() + 10; while (performance.now() < end); })(); return t; })()`)) as number;
await page.getByTestId('editor').locator('.view-lines').click();
await page.keyboard.press('Control+A');
await page.keyboard.press('Control+V');
await page.getByTestId('engine-status').filter({ hasText: '394 nodes' }).waitFor({ timeout: 30000 });
await page.waitForTimeout(2500);
const { profile } = await cdp.send('Profiler.stop');
const lt = await page.evaluate((t) => (window as any).__lt.filter((e: any) => e.start >= t), t0);
console.log('long tasks', JSON.stringify(lt.map((e: any) => [Math.round(e.start - t0), Math.round(e.duration)])));
writeFileSync('/tmp/prof/scale.cpuprofile', JSON.stringify(profile));
// Self time per function within each long task window.
const nodes = new Map(profile.nodes.map((n: any) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const perfNowAtStart = t0; // approx: profile times are in µs of a different clock; align by first sample ~ t0
let t = profile.startTime;
const samples: { time: number; id: number }[] = [];
profile.samples.forEach((id: number, i: number) => { t += profile.timeDeltas[i]; samples.push({ time: t, id }); });
const base = samples.find((s) => (nodes.get(s.id) as any).callFrame.functionName === 'cwMarker')!.time;
for (const task of lt.filter((e: any) => e.duration >= 80)) {
  const from = (task.start - perfNowAtStart) * 1000 + base, to = from + task.duration * 1000;
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const s of samples) {
    if (s.time < from || s.time > to) continue;
    const n: any = nodes.get(s.id);
    const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + 0.2);
    const seen = new Set<string>();
    for (let id: number | undefined = s.id; id !== undefined; id = parent.get(id)) {
      const m: any = nodes.get(id);
      const k = `${m.callFrame.functionName || '(anon)'} ${m.callFrame.url.split('/').pop()}:${m.callFrame.lineNumber}`;
      if (seen.has(k)) continue; seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + 0.2);
    }
  }
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${Math.round(v)}ms ${k}`).join('\n    ');
  console.log(`task at +${Math.round(task.start - t0)} ms, ${Math.round(task.duration)} ms\n  self:\n    ${top(self, 8)}\n  inclusive:\n    ${top(incl, 25)}`);
}
await browser.close();
