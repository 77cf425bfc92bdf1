import { create } from 'zustand';

// The page's colour theme: the system's (followed live), or light or dark as chosen in the header.
// A choice other than the system's is kept in localStorage under THEME_KEY, the only thing the page
// stores. index.html's inline script applies it to <html> before the first paint; from then on this
// module keeps <html> in step (Tailwind's `dark:` keys on its `.dark` class, index.css), and the
// canvas, Monaco (monaco.ts) and "Export PNG" read `theme` from the store.

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

/** Read by index.html's inline script too: keep the two in step. */
export const THEME_KEY = 'chainwalk:theme';

interface ThemeState {
  choice: ThemeChoice;
  /** The theme in use: the choice, or for 'system' the system's scheme. */
  theme: Theme;
  choose: (choice: ThemeChoice) => void;
}

const systemScheme = window.matchMedia('(prefers-color-scheme: dark)');
const resolve = (choice: ThemeChoice): Theme =>
  choice === 'system' ? (systemScheme.matches ? 'dark' : 'light') : choice;

function storedChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(THEME_KEY);
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  } catch {
    return 'system'; // storage blocked (a privacy setting): the system's scheme, not remembered
  }
}

function store(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    // Not remembered; the choice still holds for this page.
  }
}

/** `color-scheme` too, so scrollbars and form controls match; for 'system' the meta tag's `light dark` decides. */
function apply({ choice, theme }: ThemeState): void {
  const root = document.documentElement;
  root.classList.toggle('dark', theme === 'dark');
  root.style.colorScheme = choice === 'system' ? '' : choice;
}

export const useTheme = create<ThemeState>()((set) => {
  const choice = storedChoice();
  return {
    choice,
    theme: resolve(choice),
    choose: (next) => {
      store(next);
      set({ choice: next, theme: resolve(next) });
    },
  };
});

apply(useTheme.getState());
useTheme.subscribe(apply);
systemScheme.addEventListener('change', () => {
  const { choice } = useTheme.getState();
  if (choice === 'system') useTheme.setState({ theme: resolve(choice) });
});
// A choice made in another tab of the page applies here too (`storage` fires only in the others).
window.addEventListener('storage', (event) => {
  if (event.key !== THEME_KEY && event.key !== null) return;
  const choice = storedChoice();
  if (choice !== useTheme.getState().choice) useTheme.setState({ choice, theme: resolve(choice) });
});
