// Monaco, bundled with the page (no CDN): the editor API plus only the features chainwalk uses,
// and an `iptables-save` language. Loaded lazily with the editor pane.
import * as monaco from 'monaco-editor/editor';
import 'monaco-editor/features/hover/register';
import 'monaco-editor/features/gotoSymbol/register';
import 'monaco-editor/features/find/register';
// Service YAML is the other input (src/kube).
import 'monaco-editor/languages/definitions/yaml/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import { requestChain } from './engine';
import { useAppStore } from './store';
import { type Theme, useTheme } from './theme';

(self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = { getWorker: () => new EditorWorker() };

export const LANGUAGE = 'iptables-save';

monaco.languages.register({ id: LANGUAGE });
monaco.languages.setMonarchTokensProvider(LANGUAGE, {
  tokenizer: {
    root: [
      [/^\s*#.*$/, 'comment'],
      [/^\s*(\*\w+|COMMIT)\b/, 'keyword'],
      [/^\s*:[^\s]+/, 'type'],
      [/"([^"\\]|\\.)*"/, 'string'],
      [
        /-[jg]\s+(ACCEPT|DROP|REJECT|RETURN|DNAT|SNAT|MASQUERADE|REDIRECT|MARK|CONNMARK|LOG|NFLOG|TRACE|NOTRACK|CT)\b/,
        'keyword',
      ],
      [/-[jg]\s+[^\s]+/, 'type'],
      [/-A\s+[^\s]+/, 'type'],
      [/\d{1,3}(\.\d{1,3}){3}(\/\d+)?(:\d+)?/, 'number'],
      [/--?[a-zA-Z][\w-]*/, 'attribute'],
      [/!/, 'operator'],
    ],
  },
});

// A word is what iptables-save separates by spaces: a chain name (KUBE-SVC-…, which Monaco's default
// word would cut at each `-`), an address with its prefix or port, an option.
monaco.languages.setLanguageConfiguration(LANGUAGE, { wordPattern: /[\w.:/-]+/ });

/**
 * The chain name under the pointer and where it is. A declaration's `:` is part of the word (ports
 * and IPv6 keep `:` in words), not of the name.
 */
function chainAt(
  model: monaco.editor.ITextModel,
  position: monaco.Position,
): { name: string; range: monaco.Range } | null {
  const word = model.getWordAtPosition(position);
  if (!word) return null;
  const colon = word.word.startsWith(':') ? 1 : 0;
  const name = word.word.slice(colon);
  if (!/^[A-Z][A-Z0-9-]+$/.test(name)) return null;
  return {
    name,
    range: new monaco.Range(position.lineNumber, word.startColumn + colon, position.lineNumber, word.endColumn),
  };
}

/**
 * `ctrl/cmd-click` (or F12) on a chain name goes to where its rules are, in the table of the line clicked
 * (KUBE-SERVICES is a chain of nat and of filter): its first rule, or its declaration if it has none.
 */
monaco.languages.registerDefinitionProvider(LANGUAGE, {
  provideDefinition(model, position) {
    const word = chainAt(model, position)?.name;
    if (!word) return null;
    // The table: from its `*name` line above to its COMMIT below.
    let start = position.lineNumber;
    while (start > 1 && !model.getLineContent(start).startsWith('*')) start--;
    let end = position.lineNumber;
    const last = model.getLineCount();
    while (end < last && !model.getLineContent(end).startsWith('COMMIT')) end++;
    const table = new monaco.Range(start, 1, end, model.getLineMaxColumn(end));
    const first = (text: string) => model.findMatches(text, table, false, true, null, false, 1)[0];
    const match = first(`-A ${word} `) ?? first(`:${word} `);
    return match ? { uri: model.uri, range: match.range } : null;
  },
});

const plural = (n: number, what: string) => `${n.toLocaleString('en')} ${what}${n === 1 ? '' : 's'}`;

/**
 * Hover on a chain: how many rules it has and the Service kube-proxy's comments name. The editor
 * holds all of a small dump; of a big one only a view, so the worker that holds it answers.
 */
monaco.languages.registerHoverProvider(LANGUAGE, {
  async provideHover(model, position) {
    const at = chainAt(model, position);
    if (!at) return null;
    const { name, range } = at;
    if (useAppStore.getState().bigDump) {
      const chains = await requestChain(name).catch(() => null);
      if (!chains || chains.length === 0) return null;
      const lines = chains.map(
        (c) =>
          `${c.table}: ${plural(c.rules, 'rule')}${c.policy ? `, policy ${c.policy}` : ''}${c.service ? ` — Service \`${c.service}\`` : ''}`,
      );
      return { range, contents: [{ value: `**${name}**` }, { value: lines.join('  \n') }] };
    }
    const rules = model.findMatches(`-A ${name} `, false, false, true, null, false);
    if (rules.length === 0) return null;
    const first = model.getLineContent(rules[0].range.startLineNumber);
    const service = /--comment "?([a-z0-9-]+\/[a-z0-9.-]+(:[a-z0-9-]+)?)/.exec(first)?.[1];
    return {
      range,
      contents: [
        { value: `**${name}**: ${plural(rules.length, 'rule')}${service ? ` — Service \`${service}\`` : ''}` },
      ],
    };
  },
});

/** Hover on a Service in YAML: the chains kube-proxy would write for it (the generated tab has them). */
monaco.languages.registerHoverProvider('yaml', {
  provideHover(model, position) {
    const input = useAppStore.getState().input;
    if (input.kind !== 'kube-yaml') return null;
    // The Service document the line is in: the last Service starting at or above it, up to the next `---`.
    const starts = [...new Set(input.services.map((s) => s.line))].filter((l) => l <= position.lineNumber);
    const start = Math.max(0, ...starts);
    if (start === 0) return null;
    for (let l = start + 1; l <= position.lineNumber; l++) if (/^---/.test(model.getLineContent(l))) return null;
    const ports = input.services.filter((s) => s.line === start);
    return {
      contents: ports.map((p) => ({
        value: `**${p.servicePortName}** → ${p.chains.map((c) => `\`${c}\``).join(', ') || 'no chains of its own'}`,
      })),
    };
  },
});

// Both editors take the page's theme (setTheme is global to Monaco), and follow it when it changes.
const editorTheme = (theme: Theme) => (theme === 'dark' ? 'vs-dark' : 'vs');
monaco.editor.setTheme(editorTheme(useTheme.getState().theme));
useTheme.subscribe((s, before) => {
  if (s.theme !== before.theme) monaco.editor.setTheme(editorTheme(s.theme));
});

export { monaco };
