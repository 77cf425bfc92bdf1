import { expect, type Locator, type Page } from '@playwright/test';

/** Drags a file of `text` over `target` and drops it, as a person dragging it from their desktop would. */
export async function dropFile(page: Page, target: Locator, name: string, text: string): Promise<void> {
  const transfer = await page.evaluateHandle(
    ([fileName, body]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([body], fileName, { type: 'text/plain' }));
      return dt;
    },
    [name, text] as const,
  );
  await target.dispatchEvent('dragenter', { dataTransfer: transfer });
  await target.dispatchEvent('dragover', { dataTransfer: transfer });
  await expect(page.getByTestId('drop-overlay')).toBeVisible();
  await target.dispatchEvent('drop', { dataTransfer: transfer });
  await expect(page.getByTestId('drop-overlay')).toBeHidden();
}

/** Whether `node` lies within `frame` on screen (React Flow mounts only what is in view, so this is "in view"). */
export async function isWithin(node: Locator, frame: Locator): Promise<boolean> {
  const [a, b] = [await node.boundingBox(), await frame.boundingBox()];
  if (!a || !b) return false;
  return a.x + a.width > b.x && a.x < b.x + b.width && a.y + a.height > b.y && a.y < b.y + b.height;
}

/** Selects everything in the editor and pastes `text` over it from the clipboard, as a person would. */
export async function pasteIntoEditor(page: Page, text: string): Promise<void> {
  const editor = page.getByTestId('editor').locator('.monaco-editor');
  await expect(editor).toBeVisible({ timeout: 15_000 });
  await editor.locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.keyboard.press('ControlOrMeta+V');
}

/**
 * Opens the page on its sample and aims the packet (from a pod, as the sample's default) at
 * `target`, so the dump loaded next is traced to it at once. Returns the packet panel.
 */
export async function openAimedAt(page: Page, target: { ip: string; port: number }): Promise<Locator> {
  await page.goto('/');
  const panel = page.getByTestId('packet-panel');
  await expect(panel.getByTestId('final')).toContainText('%', { timeout: 15_000 });
  await panel.getByLabel('destination').fill(`${target.ip}:${target.port}`);
  await panel.getByRole('button', { name: 'Trace' }).click();
  return panel;
}
