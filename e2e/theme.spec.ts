import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { pasteIntoEditor } from './helpers';

// The header's theme switch: System / Light / Dark, remembered, and followed by the page, both
// editors' Monaco theme, the React Flow canvas and "Export PNG".

const word = (name: string) => new RegExp(`(^|\\s)${name}(\\s|$)`);

function parts(page: Page) {
  return {
    html: page.locator('html'),
    editor: page.getByTestId('editor').locator('.monaco-editor'),
    canvas: page.getByTestId('canvas').locator('.react-flow'),
    background: () => page.locator('#root > div').evaluate((el) => getComputedStyle(el).backgroundColor),
    stored: () => page.evaluate(() => localStorage.getItem('chainwalk:theme')),
  };
}

async function expectTheme(page: Page, theme: 'light' | 'dark') {
  const { html, editor, canvas, background } = parts(page);
  const dark = theme === 'dark';
  await (dark ? expect(html).toHaveClass(word('dark')) : expect(html).not.toHaveClass(word('dark')));
  await expect(editor).toHaveClass(word(dark ? 'vs-dark' : 'vs'));
  await expect(canvas).toHaveClass(word(theme));
  if (dark) await expect.poll(background).not.toBe('rgb(255, 255, 255)');
  else expect(await background()).toBe('rgb(255, 255, 255)');
}

/** The top-left pixel of the exported PNG (its background), as `rgb(r, g, b)`. */
async function exportedBackground(page: Page): Promise<string> {
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export PNG' }).click({ noWaitAfter: true });
  const png = readFileSync(await (await download).path()).toString('base64');
  return page.evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const context = canvas.getContext('2d');
    context?.drawImage(image, 0, 0);
    const [r, g, b] = context?.getImageData(0, 0, 1, 1).data ?? [];
    return `rgb(${r}, ${g}, ${b})`;
  }, png);
}

test('choosing Dark turns the page, the editor and the canvas dark, survives a reload, and System follows the system', async ({
  page,
}) => {
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  const { editor, canvas, stored } = parts(page);
  const choice = (name: string) => page.getByRole('radio', { name });
  // The radios are visually hidden: a person clicks their labels.
  const choose = (name: string) => page.getByRole('group', { name: 'theme' }).getByText(name, { exact: true }).click();

  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await expect(editor).toBeVisible({ timeout: 15_000 });
  await expect(canvas.locator('.react-flow__node').first()).toBeVisible({ timeout: 15_000 });
  await expect(choice('System')).toBeChecked();
  await expectTheme(page, 'light');
  expect(await stored()).toBeNull();

  await choose('Dark');
  await expectTheme(page, 'dark');
  expect(await stored()).toBe('dark');
  // The export draws the theme in use, not the system's (light here): slate-950.
  expect(await exportedBackground(page)).toBe('rgb(2, 6, 23)');
  await page.screenshot({ path: 'test-results/theme-dark.png', fullPage: true });

  await page.reload();
  await expect(editor).toBeVisible({ timeout: 15_000 });
  await expect(choice('Dark')).toBeChecked();
  await expectTheme(page, 'dark');

  // The switch is reachable by keyboard: the arrow keys move between the choices.
  await choice('Dark').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(choice('Light')).toBeChecked();
  await expectTheme(page, 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(100); // a fixed choice ignores the system
  await expectTheme(page, 'light');
  expect(await stored()).toBe('light');

  await choose('System');
  await expectTheme(page, 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expectTheme(page, 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectTheme(page, 'dark');
  // System is the default: nothing is stored for it.
  expect(await stored()).toBeNull();

  expect(consoleErrors).toEqual([]);
});

test('the generated-rules editor of Service YAML follows the switch too', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await pasteIntoEditor(
    page,
    'apiVersion: v1\nkind: Service\nmetadata: {namespace: shop, name: web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n',
  );
  await page.getByRole('tab', { name: /generated rules/ }).click();
  const generated = page.locator('[data-testid="editor"][data-tab="generated"] .monaco-editor');
  await expect(generated.locator('.view-lines')).toContainText('KUBE-SERVICES');
  await expect(generated).toHaveClass(word('vs'));
  await page.getByRole('group', { name: 'theme' }).getByText('Dark', { exact: true }).click();
  await expect(generated).toHaveClass(word('vs-dark'));
});

test('the stored theme is on <html> before the app script runs (no flash of the other theme)', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.addInitScript(() => localStorage.setItem('chainwalk:theme', 'dark'));
  // Without the bundle only index.html's inline script can set it.
  await page.route('**/assets/**', (route) => route.abort());
  await page.goto('/');
  await expect(page.locator('html')).toHaveClass(word('dark'));
  expect(await page.locator('html').evaluate((el) => getComputedStyle(el).colorScheme)).toBe('dark');
  expect(await page.locator('#root').evaluate((el) => el.childElementCount)).toBe(0);
});
