import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

// index.html applies the stored theme before the first paint and theme.ts takes over after it:
// both run here against the same fake page, so they cannot drift apart (a flash on load).

const KEY = 'chainwalk:theme';
const inlineScript = /<script>([\s\S]*?)<\/script>/.exec(readFileSync('index.html', 'utf8'))?.[1] ?? '';

function fakePage(stored: string | null, systemDark: boolean, storage: 'ok' | 'blocked' = 'ok') {
  const items = new Map(stored === null ? [] : [[KEY, stored]]);
  const deny = () => {
    throw new DOMException('denied', 'SecurityError');
  };
  const localStorage =
    storage === 'ok'
      ? {
          getItem: (key: string) => items.get(key) ?? null,
          setItem: (key: string, value: string) => void items.set(key, value),
          removeItem: (key: string) => void items.delete(key),
        }
      : { getItem: deny, setItem: deny, removeItem: deny };
  const listeners: (() => void)[] = [];
  const media = {
    matches: systemDark,
    addEventListener: (_: string, listener: () => void) => listeners.push(listener),
  };
  const matchMedia = () => media;
  const classes = new Set<string>();
  const root = {
    classList: { toggle: (name: string, on: boolean) => (on ? classes.add(name) : classes.delete(name)) },
    style: { colorScheme: '' },
  };
  const windowListeners: ((event: { key: string | null }) => void)[] = [];
  const addEventListener = (_: string, listener: (event: { key: string | null }) => void) =>
    windowListeners.push(listener);
  const globals = {
    window: { matchMedia, addEventListener },
    matchMedia,
    localStorage,
    document: { documentElement: root },
  };
  return {
    globals,
    items,
    html: () => ({ dark: classes.has('dark'), colorScheme: root.style.colorScheme }),
    setSystem(dark: boolean) {
      media.matches = dark;
      for (const listener of listeners) listener();
    },
    /** Another tab of the page stored `value` (null: removed), as the browser tells this one. */
    otherTab(value: string | null) {
      if (value === null) items.delete(KEY);
      else items.set(KEY, value);
      for (const listener of windowListeners) listener({ key: KEY });
    },
    runInlineScript: () => new Function(...Object.keys(globals), inlineScript)(...Object.values(globals)),
    async importTheme() {
      for (const [name, value] of Object.entries(globals)) vi.stubGlobal(name, value);
      vi.resetModules();
      return import('./theme');
    },
  };
}

afterEach(() => vi.unstubAllGlobals());

describe('theme', () => {
  it('keeps its storage key where index.html reads it', async () => {
    expect(inlineScript).toContain(`'${KEY}'`);
    expect((await fakePage(null, false).importTheme()).THEME_KEY).toBe(KEY);
  });

  // Blocked storage reads as nothing stored: the system's scheme.
  it.each([
    { stored: null, system: false, storage: 'ok', dark: false, colorScheme: '' },
    { stored: null, system: true, storage: 'ok', dark: true, colorScheme: '' },
    { stored: 'light', system: true, storage: 'ok', dark: false, colorScheme: 'light' },
    { stored: 'dark', system: false, storage: 'ok', dark: true, colorScheme: 'dark' },
    { stored: 'sepia', system: true, storage: 'ok', dark: true, colorScheme: '' },
    { stored: 'dark', system: false, storage: 'blocked', dark: false, colorScheme: '' },
  ] as const)('index.html and theme.ts agree: stored $stored, system dark $system, storage $storage', async (c) => {
    const expected = { dark: c.dark, colorScheme: c.colorScheme };
    const before = fakePage(c.stored, c.system, c.storage);
    before.runInlineScript();
    expect(before.html()).toEqual(expected);
    const after = fakePage(c.stored, c.system, c.storage);
    const { useTheme } = await after.importTheme();
    expect(after.html()).toEqual(expected);
    expect(useTheme.getState().theme).toBe(expected.dark ? 'dark' : 'light');
  });

  it('follows the system scheme live on System only, and stores a fixed choice alone', async () => {
    const page = fakePage(null, false);
    const { useTheme } = await page.importTheme();
    page.setSystem(true);
    expect(page.html()).toEqual({ dark: true, colorScheme: '' });

    useTheme.getState().choose('light');
    expect(page.html()).toEqual({ dark: false, colorScheme: 'light' });
    expect([...page.items]).toEqual([[KEY, 'light']]);
    page.setSystem(false);
    page.setSystem(true);
    expect(useTheme.getState().theme).toBe('light');

    useTheme.getState().choose('system');
    expect(page.html()).toEqual({ dark: true, colorScheme: '' });
    expect(page.items.size).toBe(0);
  });

  it('follows a choice made in another tab', async () => {
    const page = fakePage(null, false);
    const { useTheme } = await page.importTheme();
    page.otherTab('dark');
    expect(useTheme.getState()).toMatchObject({ choice: 'dark', theme: 'dark' });
    expect(page.html()).toEqual({ dark: true, colorScheme: 'dark' });
    page.otherTab(null);
    expect(useTheme.getState()).toMatchObject({ choice: 'system', theme: 'light' });
    expect(page.html()).toEqual({ dark: false, colorScheme: '' });
  });

  it('still switches when storage is blocked, without remembering', async () => {
    const page = fakePage(null, false, 'blocked');
    const { useTheme } = await page.importTheme();
    useTheme.getState().choose('dark');
    expect(page.html()).toEqual({ dark: true, colorScheme: 'dark' });
  });
});
