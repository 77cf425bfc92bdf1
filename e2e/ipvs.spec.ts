import { expect, test } from '@playwright/test';

// An IPVS-mode node: iptables-save + ipset save + ipvsadm-save in one paste. The packet to a
// ClusterIP matches KUBE-CLUSTER-IP, IPVS schedules it among the real servers, and it reaches a pod.

test('the IPVS sample: ipset match, the IPVS stage with its real servers, and a pod reached', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto('/');
  await expect(page.getByTestId('packet-panel').getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await page
    .getByRole('combobox', { name: 'sample node', exact: true })
    .selectOption({ label: 'IPVS-mode node (iptables + ipset + ipvsadm)' });
  await expect(page.getByTestId('mode')).toHaveText('kube-proxy IPVS mode', { timeout: 15_000 });
  const panel = page.getByTestId('packet-panel');
  // Three real servers: three paths, each a third.
  const choices = panel.getByRole('button', { name: /^33\.33% → 10\.244\./ });
  await expect(choices).toHaveCount(3);
  await expect(panel.getByTestId('final')).toContainText(/sent to 10\.244\.\d+\.\d+:8080/);
  await page.screenshot({ path: 'test-results/ipvs-sample.png', fullPage: true });

  // The ipset check is a step of its own, with what kube-proxy puts in the set.
  const timeline = panel.getByRole('list', { name: 'timeline' });
  await timeline
    .getByRole('button', { name: /KUBE-SERVICES.*accepts the packet/ })
    .first()
    .click();
  await expect(panel.getByTestId('step-notes')).toContainText('10.96.12.34,tcp:80 ∈ KUBE-CLUSTER-IP');
  await expect(panel.getByTestId('step-ipsets')).toContainText('KUBE-CLUSTER-IP: every Service’s cluster IP and port');
  // On the canvas the lookup is a badge on the chain whose rules make it.
  await expect(
    page.getByTestId('canvas').locator('[data-badge="ipset"]', { hasText: '∈ CLUSTER-IP' }).first(),
  ).toBeAttached();
  await page.screenshot({ path: 'test-results/ipvs-ipset.png', fullPage: true });

  // The IPVS stage: on the canvas and in the steps, with the scheduler and its real servers.
  await timeline.getByRole('button', { name: /IPVS: a new connection to virtual service/ }).click();
  await expect(panel.getByTestId('step-explain')).toContainText('the rr scheduler picks one of 3 real servers');
  const stage = page
    .getByTestId('canvas')
    .locator('.react-flow__node')
    .filter({ hasText: /^IPVS TCP 10\.96\.12\.34:80 rr → 3 real servers/ });
  await expect(stage).toBeVisible();
  await expect(stage.locator('[data-current="true"]')).toHaveCount(1);
  await timeline.getByRole('button', { name: /IPVS sends it to real server/ }).click();
  await expect(panel.getByTestId('step-header').locator('tr', { hasText: 'destination' })).toHaveAttribute(
    'data-changed',
    'true',
  );
  await page.screenshot({ path: 'test-results/ipvs-stage.png', fullPage: true });
  expect(errors).toEqual([]);
});
