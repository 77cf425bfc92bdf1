import { expect, test } from '@playwright/test';
import { generateKubeProxyDump, worstService } from '../bench/gen';
import { dropFile, isWithin, openAimedAt } from './helpers';

// On a dump too big to draw whole, families fold into group nodes; search finds any chain (by
// name, Service, IP or port), folded or not, and the canvas jumps to it.

test('search jumps to a folded chain by name or endpoint IP, and a group unfolds on click', async ({ page }) => {
  test.setTimeout(120_000);
  const services = 2000;
  const dump = generateKubeProxyDump({ services, seed: 1 });
  const target = worstService({ services, seed: 1 });
  // The dump's last endpoint chain, and the pod it DNATs to: far from the packet's path.
  const lastSep = [...dump.matchAll(/^-A (KUBE-SEP-\w+) .* --to-destination ([\d.]+):\d+$/gm)].at(-1);
  if (!lastSep) throw new Error('the generated dump has no endpoint chain');
  const [, sepChain, podIP] = lastSep;

  await openAimedAt(page, target);
  await dropFile(page, page.locator('header'), 'node-c.rules', dump);
  await expect(page.getByTestId('engine-status')).toContainText(/\d{2},\d{3} rules.*Graph: \d+ nodes/, {
    timeout: 60_000,
  });
  const canvas = page.getByTestId('canvas');
  const search = canvas.getByLabel('search chains');
  const results = canvas.getByRole('list', { name: 'search results' });

  // By name: the chain is folded into KUBE-SEP ×N until it is picked.
  await expect(canvas.locator('.react-flow__node').filter({ hasText: sepChain })).toHaveCount(0);
  await search.fill(sepChain.toLowerCase());
  await results.getByRole('button', { name: new RegExp(`^${sepChain} nat`) }).click();
  const focused = canvas.locator('[data-focused="true"]');
  await expect(focused).toContainText(sepChain, { timeout: 30_000 });
  await expect.poll(() => isWithin(focused, canvas)).toBe(true);
  await page.screenshot({ path: 'test-results/search-by-name.png' });

  // By the endpoint's pod IP: its DNAT rule is the match.
  await search.fill(podIP);
  // Its first rule naming the pod (kube-proxy's hairpin masquerade, `-s POD`) is the match.
  const byIP = results.getByRole('button', { name: new RegExp(`^${sepChain} nat .*${podIP.replace(/\./g, '\\.')}`) });
  await expect(byIP).toHaveCount(1, { timeout: 15_000 });
  await search.fill('203.0.113.254');
  await expect(results).toContainText('No chain mentions “203.0.113.254”.');

  // A folded group: found by its name, then unfolded by a click.
  await search.fill('KUBE-SEP');
  await results.getByRole('button', { name: /^KUBE-SEP ×[\d,]+ nat · folded group/ }).click();
  const group = canvas.locator('[data-focused="true"]');
  await expect(group).toContainText(/^KUBE-SEP ×/);
  /** The N of the group's label `KUBE-SEP ×N`: chains still folded. */
  const folded = async () => Number((await group.locator('.font-semibold').textContent())?.replace(/\D/g, ''));
  const before = await folded();
  expect(before).toBeGreaterThan(100);
  await group.click();
  await expect(page.getByTestId('engine-status')).toContainText(/Graph: \d+ nodes/);
  await expect.poll(folded, { timeout: 30_000 }).toBeLessThan(before);
  await expect(group).toContainText('click to fold');
  await expect.poll(() => isWithin(group, canvas)).toBe(true);
  expect(await canvas.locator('.react-flow__node').count()).toBeLessThanOrEqual(1000);
  await page.screenshot({ path: 'test-results/search-group.png' });
});
