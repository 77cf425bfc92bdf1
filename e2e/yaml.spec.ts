import { expect, test } from '@playwright/test';
import { pasteIntoEditor } from './helpers';

// Service YAML in the same editor: the rules a current kube-proxy would write, traced like a dump.

const nodePortLocal = `apiVersion: v1
kind: Service
metadata:
  namespace: shop
  name: reports
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: reports}
  ports:
    - name: http
      port: 80
      targetPort: 8080
      nodePort: 31090
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  namespace: shop
  name: reports-abcde
  labels: {kubernetes.io/service-name: reports}
addressType: IPv4
ports:
  - {name: http, port: 8080, protocol: TCP}
endpoints:
  - addresses: [10.244.1.30]
    conditions: {ready: true}
    nodeName: node-2
`;

test('a NodePort Service with externalTrafficPolicy Local: its chains, and outside traffic to a node without its pods dropped', async ({
  page,
}) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await pasteIntoEditor(page, nodePortLocal);
  await expect(page.getByTestId('input-title')).toContainText('Service YAML');
  // The generated rules, in the read-only tab.
  await page.getByRole('tab', { name: /generated rules/ }).click();
  const lines = page.getByTestId('editor').locator('.view-lines');
  await expect(lines).toContainText('KUBE-EXTERNAL-SERVICES');
  await expect(page.getByTestId('editor')).toHaveAttribute('data-tab', 'generated');
  await page.screenshot({ path: 'test-results/yaml-generated.png', fullPage: true });

  const panel = page.getByTestId('packet-panel');
  const presets = panel.getByLabel(/preset from this dump/);
  const nodePort = presets.locator('option', {
    hasText: /^shop\/reports:http NodePort 192\.168\.56\.10:31090\/tcp from outside/,
  });
  await expect(nodePort).toHaveCount(1, { timeout: 15_000 });
  await presets.selectOption({ label: (await nodePort.textContent()) ?? '' });
  await expect(panel.getByTestId('final')).toContainText('100%: dropped (192.168.56.10:31090)');
  await expect(panel.getByTestId('final-rule')).toContainText(
    '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "shop/reports:http has no local endpoints"',
  );
  await page.screenshot({ path: 'test-results/yaml-dropped.png', fullPage: true });

  // Back in the YAML: hovering the Service shows the chains kube-proxy writes for it.
  await page.getByRole('tab', { name: 'Service YAML' }).click();
  // (Selecting all of the long sample scrolled the editor sideways: back to the start.)
  await page.getByTestId('editor').locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+Home');
  const nameLine = page.getByTestId('editor').locator('.view-line', { hasText: 'name: reports' }).first();
  // The mouse itself, as Monaco listens for it (its text layer sits under the editor's own overlays).
  const box = await nameLine
    .locator('span', { hasText: /^reports$/ })
    .last()
    .boundingBox();
  if (!box) throw new Error('the Service name is not on screen');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await expect(page.locator('.monaco-hover-content').filter({ hasText: 'shop/reports:http' })).toContainText(
    /shop\/reports:http → .*KUBE-SVC-/,
    { timeout: 10_000 },
  );

  // A YAML error is a marker at its line, and the last good rules stay.
  await pasteIntoEditor(page, nodePortLocal.replace('nodePort: 31090', 'nodePort: 99999'));
  await expect(page.getByTestId('editor').locator('.squiggly-error').first()).toBeAttached({ timeout: 15_000 });
  await expect(page.getByTestId('engine-status')).toContainText('showing the last good dump');
  expect(errors).toEqual([]);
});

test('a Service without endpoints reaches clearly labelled example pods, or is rejected without them', async ({
  page,
}) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await pasteIntoEditor(
    page,
    'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n',
  );
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('example-endpoints')).toContainText('example');
  const presets = panel.getByLabel(/preset from this dump/);
  const clusterIP = presets.locator('option', { hasText: /^default\/web cluster IP .* from a pod/ });
  await expect(clusterIP).toHaveCount(1, { timeout: 15_000 });
  await presets.selectOption({ label: (await clusterIP.textContent()) ?? '' });
  await expect(panel.getByTestId('final')).toContainText(/sent to 10\.244\.0\.\d+:8080/);
  await panel.getByLabel('example endpoints').selectOption('0');
  await expect(panel.getByTestId('final')).toContainText('rejected');
});

test('a permalink of Service YAML restores the YAML, kube-proxy’s options and the trace', async ({ page, browser }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await pasteIntoEditor(page, nodePortLocal);
  const panel = page.getByTestId('packet-panel');
  await panel.getByLabel('example endpoints').selectOption('3');
  const presets = panel.getByLabel(/preset from this dump/);
  const nodePort = presets.locator('option', { hasText: /^shop\/reports:http NodePort/ });
  await expect(nodePort).toHaveCount(1, { timeout: 15_000 });
  await presets.selectOption({ label: (await nodePort.textContent()) ?? '' });
  await expect(panel.getByTestId('final')).toContainText('dropped');
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByTestId('notice')).toContainText('YAML and kube-proxy’s options');
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(page.url());
  await expect(other.getByTestId('input-title')).toContainText('Service YAML', { timeout: 15_000 });
  await expect(other.getByTestId('packet-panel').getByTestId('final')).toContainText(
    '100%: dropped (192.168.56.10:31090)',
  );
  await expect(other.getByTestId('packet-panel').getByLabel('example endpoints')).toHaveValue('3');
  await fresh.close();
});

test('the same YAML in kube-proxy IPVS mode: rules, ipsets and the IPVS table, traced through IPVS', async ({
  page,
}) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await pasteIntoEditor(page, nodePortLocal.replace('externalTrafficPolicy: Local', 'externalTrafficPolicy: Cluster'));
  const panel = page.getByTestId('packet-panel');
  await panel.getByLabel('proxier').selectOption('ipvs');
  await expect(page.getByTestId('mode')).toHaveText('kube-proxy IPVS mode', { timeout: 15_000 });
  await page.getByRole('tab', { name: /generated rules/ }).click();
  await expect(page.getByTestId('editor').locator('.view-lines')).toContainText('KUBE-IPVS-FILTER');
  const presets = panel.getByLabel(/preset from this dump/);
  const clusterIP = presets.locator('option', { hasText: /cluster IP .* from a pod/ }).first();
  await presets.selectOption({ label: (await clusterIP.textContent()) ?? '' });
  await expect(panel.getByRole('list', { name: 'timeline' })).toContainText(
    'IPVS: a new connection to virtual service',
  );
  await expect(panel.getByTestId('final')).toContainText('sent to 10.244.1.30:8080');
  await page.screenshot({ path: 'test-results/yaml-ipvs.png', fullPage: true });
});
