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
  // Edges on the route are marked, and still: the packet token is what moves.
  await expect(canvas.locator('.react-flow__edge.cw-route').first()).toBeAttached();
  await expect(canvas.locator('.react-flow__edge.animated')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('the packet panel lists every path, and choosing one shows its steps', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  // default/web has three endpoints: one path each, a third of the time.
  const choices = panel.getByRole('button', { name: /^33\.33% → / });
  await expect(choices).toHaveCount(3, { timeout: 15_000 });
  await expect(panel.getByTestId('final')).toContainText('33.33%: sent to 10.244.0.5:8080 out of cni0, source kept');
  await choices.nth(2).click();
  await expect(panel.getByTestId('final')).toContainText('sent to 10.244.2.7:8080 out of eth0, source kept');
  await expect(
    panel.getByRole('listitem').filter({ hasText: /DNAT: the destination becomes 10\.244\.2\.7:8080/ }),
  ).toBeVisible();
  // A different packet: from outside to the node's own address, which nothing DNATs.
  await panel.getByLabel(/^from/).selectOption('external');
  await panel.getByLabel('destination').fill('192.168.56.10:22');
  await panel.getByRole('button', { name: 'Trace' }).click();
  await expect(panel.getByTestId('final')).toContainText('delivered to a process on this node, 192.168.56.10:22');
  await page.screenshot({ path: 'test-results/packet-panel.png', fullPage: true });
});

test('stepping moves the packet hop by hop on the canvas, by buttons and keys', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  const counter = panel.getByTestId('step-counter');
  await expect(counter).toContainText('step 1 of', { timeout: 15_000 });
  const here = page.getByTestId('canvas').locator('[data-current="true"]');
  // Step 1 is mangle PREROUTING's policy, step 2 nat PREROUTING's jump to KUBE-SERVICES.
  await expect(here).toHaveCount(1);
  await expect(here).toContainText('mangle');
  await panel.getByRole('button', { name: 'step forward' }).click();
  await expect(counter).toContainText('step 2 of');
  await expect(here).toContainText('nat');
  await panel.getByRole('button', { name: 'step forward' }).click();
  await expect(counter).toContainText('step 3 of');
  await expect(here).toContainText('KUBE-SERVICES');
  // The step's rule is highlighted in the editor too.
  await expect(page.getByTestId('editor').locator('.cw-current-rule')).toBeAttached();
  await expect(panel.getByTestId('step-rule')).toContainText(/^line \d+: -A KUBE-SERVICES -d 10\.96\.12\.34\/32/);
  await page.locator('body').press('ArrowRight');
  await expect(counter).toContainText('step 4 of');
  await expect(here).toContainText('KUBE-SVC-');
  await page.locator('body').press('ArrowLeft');
  await expect(counter).toContainText('step 3 of');
  await panel.getByRole('button', { name: 'last step' }).click();
  await expect(panel.locator('li[aria-current="step"]')).toContainText(/POSTROUTING/);
  await page.screenshot({ path: 'test-results/stepping.png' });
});

test('presets come from the dump’s own Services', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  const presets = panel.getByLabel(/preset from this dump/);
  await expect(
    presets.locator('option', { hasText: 'default/kubernetes:https cluster IP 10.96.0.1:443/tcp from a pod' }),
  ).toHaveCount(1, { timeout: 15_000 });
  await presets.selectOption({ label: 'default/kubernetes:https cluster IP 10.96.0.1:443/tcp from a pod' });
  await expect(panel.getByLabel('destination')).toHaveValue('10.96.0.1:443');
  await expect(panel.getByTestId('final')).toContainText('delivered to a process on this node, 192.168.56.10:6443');
  const nodePort = presets.locator('option', {
    hasText: /^default\/web:http NodePort 192\.168\.56\.10:30080\/tcp from outside/,
  });
  await expect(nodePort).toHaveCount(1);
  await presets.selectOption({ label: (await nodePort.textContent()) ?? '' });
  await expect(panel.getByLabel(/^from/)).toHaveValue('external');
  await expect(panel.getByTestId('final')).toContainText('10.244.');
  await page.screenshot({ path: 'test-results/presets.png' });
});

test('the node context can be edited: NodePorts and masquerade follow the node IP', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await panel.getByLabel(/^node IPs/).fill('192.168.56.99/24');
  await panel.getByRole('button', { name: 'Set node' }).click();
  const presets = panel.getByLabel(/preset from this dump/);
  const nodePort = presets.locator('option', {
    hasText: /^default\/web:http NodePort 192\.168\.56\.99:30080\/tcp from outside/,
  });
  await expect(nodePort).toHaveCount(1, { timeout: 15_000 });
  await presets.selectOption({ label: (await nodePort.textContent()) ?? '' });
  // To a pod on another node, out of eth0: masqueraded to the node's (new) address.
  await panel.getByRole('button', { name: /→ 10\.244\.1\.5:8080$/ }).click();
  await expect(panel.getByTestId('final')).toContainText('source masqueraded to 192.168.56.99');
});
