// The pipeline's shape, enforced: model → parse → sim → kube → graph → share → worker → app (and cli).
// Every source file under src/ is read; an import that points right, or a pure stage that touches
// Node, React, the DOM, a clock or randomness, fails here. See /design.md, "The shape in one line".
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import { describe, expect, test } from 'vitest';

type Stage = 'model' | 'parse' | 'sim' | 'kube' | 'graph' | 'share' | 'worker' | 'app' | 'cli';

/** What each stage may import: design.md's table, written out. */
const mayImport: Record<Stage, readonly Stage[]> = {
  model: ['model'],
  parse: ['model', 'parse'],
  sim: ['model', 'parse', 'sim'],
  kube: ['model', 'parse', 'sim', 'kube'],
  graph: ['model', 'parse', 'sim', 'kube', 'graph'],
  share: ['model', 'parse', 'sim', 'kube', 'graph', 'share'],
  worker: ['model', 'parse', 'sim', 'kube', 'graph', 'share', 'worker'],
  // The main thread only renders: parsing and simulating happen in the worker.
  app: ['model', 'kube', 'graph', 'share', 'worker', 'app'],
  cli: ['model', 'parse', 'sim', 'kube', 'graph', 'share', 'cli'],
};
const stages = Object.keys(mayImport) as Stage[];

/** Pure stages run unchanged in a worker, in Node and in tests. */
const pureStages: readonly Stage[] = ['model', 'parse', 'sim', 'kube', 'graph', 'share'];

/** Globals a pure stage must not touch, matched in code only (comments and strings blanked). */
const impureGlobals: readonly { name: string; pattern: RegExp }[] = [
  { name: 'document', pattern: /(?<![\w$.])document(?![\w$])/ },
  { name: 'window', pattern: /(?<![\w$.])window(?![\w$])/ },
  { name: 'globalThis', pattern: /(?<![\w$.])globalThis(?![\w$])/ },
  { name: 'process', pattern: /(?<![\w$.])process\s*\./ },
  { name: 'Date.now', pattern: /(?<![\w$.])Date\s*\.\s*now(?![\w$])/ },
  { name: 'new Date', pattern: /(?<![\w$.])new\s+Date(?![\w$])/ },
  { name: 'performance.now', pattern: /(?<![\w$.])performance\s*\.\s*now(?![\w$])/ },
  { name: 'Math.random', pattern: /(?<![\w$.])Math\s*\.\s*random(?![\w$])/ },
  { name: 'crypto', pattern: /(?<![\w$.])crypto\s*\./ },
];

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

type Rule = 'direction' | 'purity' | 'placement';

interface Violation {
  file: string;
  line: number;
  rule: Rule;
  message: string;
}

interface SourceFile {
  /** Relative to the repository root, with forward slashes: `src/parse/index.ts`. */
  path: string;
  source: string;
}

const isTestFile = (path: string) => /\.test\.[cm]?[jt]sx?$/.test(path);

/**
 * Blanks comments (in `code`) and also string, template and regex contents (in `bare`), keeping every
 * offset and newline, so patterns never match prose and line numbers stay right.
 * Template expressions (`${…}`) stay code.
 */
function blank(source: string): { code: string; bare: string } {
  const code = source.split('');
  const bare = source.split('');
  const wipe = (out: string[], from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Each entry is the brace depth inside one open `${`.
  const templateDepths: number[] = [];
  let lastSignificant = '';
  let lastWord = '';
  let i = 0;
  const n = source.length;

  const scanTemplateText = () => {
    // At the character after ` or after the } that closes a ${…}; stops after ` or ${.
    const start = i;
    while (i < n) {
      const c = source[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        wipe(bare, start, i);
        i++;
        lastSignificant = '`';
        return;
      } else if (c === '$' && source[i + 1] === '{') {
        wipe(bare, start, i);
        i += 2;
        templateDepths.push(0);
        lastSignificant = '{';
        return;
      } else i++;
    }
    wipe(bare, start, n);
  };

  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      wipe(code, i, stop);
      wipe(bare, i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      wipe(code, i, stop);
      wipe(bare, i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      const start = ++i;
      while (i < n && source[i] !== c && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
      wipe(bare, start, i);
      i++;
      lastSignificant = c;
    } else if (c === '`') {
      i++;
      scanTemplateText();
    } else if (c === '/' && regexMayStart(lastSignificant, lastWord)) {
      const start = ++i;
      let inClass = false;
      while (i < n && source[i] !== '\n' && (inClass || source[i] !== '/')) {
        if (source[i] === '\\') i++;
        else if (source[i] === '[') inClass = true;
        else if (source[i] === ']') inClass = false;
        i++;
      }
      wipe(bare, start, i);
      i++;
      lastSignificant = '/';
    } else if (c === '{' && templateDepths.length > 0) {
      templateDepths[templateDepths.length - 1]++;
      lastSignificant = c;
      i++;
    } else if (c === '}' && templateDepths.length > 0) {
      const depth = templateDepths.length - 1;
      i++;
      if (templateDepths[depth] === 0) {
        templateDepths.pop();
        scanTemplateText();
      } else {
        templateDepths[depth]--;
        lastSignificant = c;
      }
    } else if (/[\w$]/.test(c)) {
      const start = i;
      while (i < n && /[\w$]/.test(source[i])) i++;
      lastWord = source.slice(start, i);
      lastSignificant = 'a';
    } else {
      if (!/\s/.test(c)) {
        lastSignificant = c;
        lastWord = '';
      }
      i++;
    }
  }
  return { code: code.join(''), bare: bare.join('') };
}

const regexKeywords = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw']);

function regexMayStart(lastSignificant: string, lastWord: string): boolean {
  if (lastSignificant === 'a') return regexKeywords.has(lastWord);
  return lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant);
}

/** Every module specifier a file imports (static, re-export, side effect, dynamic, require, worker URL). */
function importsOf(source: string): { specifier: string; line: number }[] {
  const { code, bare } = blank(source);
  const forms = [
    /(?<![\w$.])from\s*(['"])([^'"\n]+)\1/g,
    /(?<![\w$.])import\s*(['"])([^'"\n]+)\1/g,
    /(?<![\w$.])import\s*\(\s*(['"])([^'"\n]+)\1/g,
    /(?<![\w$.])require\s*\(\s*(['"])([^'"\n]+)\1/g,
    /(?<![\w$.])new\s+URL\s*\(\s*(['"])([^'"\n]+)\1\s*,\s*import\.meta\.url/g,
  ];
  const found: { specifier: string; line: number; at: number }[] = [];
  for (const form of forms) {
    for (const match of code.matchAll(form)) {
      // The keyword itself must be code, not text inside a string.
      if (bare[match.index] !== code[match.index]) continue;
      found.push({ specifier: match[2], line: lineAt(source, match.index), at: match.index });
    }
  }
  return found.sort((a, b) => a.at - b.at).map(({ specifier, line }) => ({ specifier, line }));
}

function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset; k++) if (source.charCodeAt(k) === 10) line++;
  return line;
}

type Placement = { kind: 'stage'; stage: Stage } | { kind: 'root' } | { kind: 'unknown'; folder: string };

function placementOf(path: string): Placement {
  const parts = path.split('/');
  if (parts[0] !== 'src') return { kind: 'unknown', folder: parts[0] };
  if (parts.length === 2) return { kind: 'root' };
  const folder = parts[1];
  return (stages as string[]).includes(folder)
    ? { kind: 'stage', stage: folder as Stage }
    : { kind: 'unknown', folder };
}

type Target =
  | { kind: 'stage'; stage: Stage }
  | { kind: 'src-root' }
  | { kind: 'outside-src'; path: string }
  | { kind: 'node'; name: string }
  | { kind: 'react'; name: string }
  | { kind: 'package'; name: string };

function targetOf(importer: string, specifier: string): Target {
  const bareSpecifier = specifier.replace(/[?#].*$/, '');
  let resolved: string | null = null;
  if (bareSpecifier.startsWith('.')) resolved = posix.normalize(posix.join(posix.dirname(importer), bareSpecifier));
  else if (bareSpecifier.startsWith('/')) resolved = bareSpecifier.slice(1);
  if (resolved !== null) {
    const parts = resolved.split('/');
    if (parts[0] !== 'src' || parts.length < 2) return { kind: 'outside-src', path: resolved };
    if ((stages as string[]).includes(parts[1])) return { kind: 'stage', stage: parts[1] as Stage };
    return { kind: 'src-root' };
  }
  if (nodeBuiltins.has(bareSpecifier) || bareSpecifier.startsWith('node:'))
    return { kind: 'node', name: bareSpecifier };
  if (/^react(-dom)?(\/|$)/.test(bareSpecifier)) return { kind: 'react', name: bareSpecifier };
  return { kind: 'package', name: bareSpecifier };
}

/** All violations in one file. Tests may use Node and the DOM, but still only import leftwards. */
function checkFile(file: SourceFile): Violation[] {
  const violations: Violation[] = [];
  const report = (line: number, rule: Rule, message: string) =>
    violations.push({ file: file.path, line, rule, message });
  const placement = placementOf(file.path);
  if (placement.kind === 'unknown') {
    report(1, 'placement', `${file.path} is not in a stage folder (${stages.join(', ')})`);
    return violations;
  }
  if (placement.kind === 'root') {
    if (!isTestFile(file.path)) report(1, 'placement', `${file.path} sits at the top of src/; move it into a stage`);
    return violations;
  }
  const { stage } = placement;
  const pure = pureStages.includes(stage) && !isTestFile(file.path);

  for (const { specifier, line } of importsOf(file.source)) {
    const target = targetOf(file.path, specifier);
    if (target.kind === 'stage' && !mayImport[stage].includes(target.stage)) {
      const why =
        stage === 'app' && (target.stage === 'parse' || target.stage === 'sim')
          ? 'the main thread reaches parse and sim only through the worker'
          : `${stage} may import only ${mayImport[stage].join(', ')}`;
      report(line, 'direction', `${stage} imports ${target.stage} ('${specifier}'): ${why}`);
    } else if (target.kind === 'src-root' && !isTestFile(file.path)) {
      report(line, 'direction', `${stage} imports '${specifier}', which is in no stage`);
    } else if (pure && target.kind === 'node') {
      report(line, 'purity', `${stage} is pure but imports Node's '${target.name}'`);
    } else if (pure && target.kind === 'react') {
      report(line, 'purity', `${stage} is pure but imports '${target.name}'`);
    } else if (pure && target.kind === 'outside-src') {
      report(line, 'purity', `${stage} is pure but imports '${specifier}' from outside src/`);
    }
  }

  if (pure) {
    const { bare } = blank(file.source);
    for (const { name, pattern } of impureGlobals) {
      const global = new RegExp(pattern.source, 'g');
      for (const match of bare.matchAll(global)) {
        report(lineAt(file.source, match.index), 'purity', `${stage} is pure but uses ${name}`);
      }
    }
  }
  return violations.sort((a, b) => a.line - b.line);
}

function checkTree(files: readonly SourceFile[]): Violation[] {
  return files.flatMap(checkFile);
}

const repoRoot = join(import.meta.dirname, '..');

function readTree(): SourceFile[] {
  const srcDir = join(repoRoot, 'src');
  return (readdirSync(srcDir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((name) => /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(name))
    .map((name) => join(srcDir, name))
    .map((abs) => ({ path: relative(repoRoot, abs).split(sep).join('/'), source: readFileSync(abs, 'utf8') }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

const format = (violations: Violation[]) => violations.map((v) => `${v.file}:${v.line}: ${v.message}`);

describe('the source tree', () => {
  const tree = readTree();

  test('is read: it holds the model entry and this file', () => {
    const paths = tree.map((file) => file.path);
    expect(paths).toContain('src/model/index.ts');
    expect(paths).toContain('src/arch.test.ts');
  });

  test('has every file in a stage folder', () => {
    expect(format(checkTree(tree).filter((v) => v.rule === 'placement'))).toEqual([]);
  });

  test.each(stages)('%s imports only stages to its left', (stage) => {
    const files = tree.filter((file) => file.path.startsWith(`src/${stage}/`));
    expect(format(checkTree(files).filter((v) => v.rule === 'direction'))).toEqual([]);
  });

  test.each(pureStages)('%s is pure: no Node, React, DOM, clock or randomness', (stage) => {
    const files = tree.filter((file) => file.path.startsWith(`src/${stage}/`));
    expect(format(checkTree(files).filter((v) => v.rule === 'purity'))).toEqual([]);
  });

  test('a bad file added to the real tree is caught', () => {
    const bad = { path: 'src/parse/zz-bad.ts', source: "import { simulate } from '../sim';\nexport { simulate };\n" };
    const violations = checkTree([...tree, bad]).filter((v) => v.file === bad.path);
    expect(violations).toEqual([expect.objectContaining({ file: bad.path, line: 1, rule: 'direction' })]);
  });
});

describe('the checker', () => {
  // [behaviour, file, source, the rules it breaks]
  const cases: [string, string, string, Rule[]][] = [
    // direction
    ['parse may import model', 'src/parse/a.ts', "import type { Ruleset } from '../model';", []],
    ['parse may not import sim', 'src/parse/a.ts', "import { simulate } from '../sim';", ['direction']],
    ['model imports nothing', 'src/model/a.ts', "import { x } from '../parse/index.ts';", ['direction']],
    ['sim may import parse', 'src/sim/a.ts', "import { parseIp } from '../parse/address';", []],
    ['a stage may import itself', 'src/sim/walk/a.ts', "import { b } from '../b';", []],
    ['re-exports count', 'src/parse/a.ts', "export { simulate } from '../sim/walk';", ['direction']],
    ['export * counts', 'src/kube/a.ts', "export * from '../graph';", ['direction']],
    ['side-effect imports count', 'src/kube/a.ts', "import '../graph/layout';", ['direction']],
    ['dynamic imports count', 'src/share/a.ts', "const m = await import('../worker/x');", ['direction']],
    ['multi-line imports count', 'src/graph/a.ts', "import {\n  a,\n  type B,\n} from '../share/link';", ['direction']],
    [
      'worker URLs count',
      'src/share/a.ts',
      "new Worker(new URL('../worker/entry.ts', import.meta.url), { type: 'module' });",
      ['direction'],
    ],
    ['app may import the worker', 'src/app/a.tsx', "import W from '../worker/main?worker';", []],
    ['app may import graph', 'src/app/a.tsx', "import { layout } from '../graph';", []],
    ['app may not import parse', 'src/app/a.tsx', "import { parseIptablesSave } from '../parse';", ['direction']],
    ['app may not import sim', 'src/app/x/a.tsx', "import { simulate } from '../../sim/walk';", ['direction']],
    ['app may not import cli', 'src/app/a.tsx', "import { main } from '../cli/main';", ['direction']],
    ['cli may import share', 'src/cli/a.ts', "import { encode } from '../share';", []],
    ['cli may not import worker', 'src/cli/a.ts', "import { serve } from '../worker';", ['direction']],
    ['worker may not import app', 'src/worker/a.ts', "import { useAppStore } from '../app/store';", ['direction']],
    ['tests import only leftwards too', 'src/parse/a.test.ts', "import { simulate } from '../sim';", ['direction']],
    // purity
    ['pure: no node:fs', 'src/parse/a.ts', "import { readFileSync } from 'node:fs';", ['purity']],
    ['pure: no fs', 'src/sim/a.ts', "import fs from 'fs';", ['purity']],
    ['pure: no path', 'src/model/a.ts', "import { join } from 'path';", ['purity']],
    ['pure: no react', 'src/graph/a.ts', "import { useMemo } from 'react';", ['purity']],
    ['pure: no react subpath', 'src/share/a.ts', "import { jsx } from 'react/jsx-runtime';", ['purity']],
    ['pure: no files outside src', 'src/kube/a.ts', "import dump from '../../fixtures/a.txt?raw';", ['purity']],
    ['pure: packages are fine', 'src/share/a.ts', "import { deflateSync } from 'fflate';", []],
    ['pure: no document', 'src/graph/a.ts', "const el = document.createElement('div');", ['purity']],
    ['pure: no window', 'src/share/a.ts', 'const hash = window.location.hash;', ['purity']],
    ['pure: no globalThis', 'src/sim/a.ts', 'globalThis.cache = 1;', ['purity']],
    ['pure: no process', 'src/parse/a.ts', 'const debug = process.env.DEBUG;', ['purity']],
    ['pure: no Date.now', 'src/parse/a.ts', 'const t = Date.now();', ['purity']],
    ['pure: no new Date', 'src/sim/a.ts', 'const t = new Date();', ['purity']],
    ['pure: no performance.now', 'src/sim/a.ts', 'const t = performance.now();', ['purity']],
    ['pure: no Math.random', 'src/sim/a.ts', 'if (Math.random() < p) take();', ['purity']],
    ['pure: no crypto', 'src/kube/a.ts', 'const id = crypto.randomUUID();', ['purity']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    ['pure: a clock in a template expression', 'src/sim/a.ts', 'const s = `at ${Date.now()}`;', ['purity']],
    ['pure: two uses, two violations', 'src/sim/a.ts', 'Math.random();\nMath.random();', ['purity', 'purity']],
    ['tests may use Node', 'src/parse/a.test.ts', "import { readFileSync } from 'node:fs';", []],
    ['cli may use Node', 'src/cli/a.ts', "import { readFileSync } from 'node:fs';\nprocess.exit(1);", []],
    ['app may use the DOM', 'src/app/a.tsx', "document.getElementById('root');", []],
    // what is not code is not checked
    ['comments are prose', 'src/sim/a.ts', '// a window of Date.now() ticks\n/* document */', []],
    ['strings are text', 'src/parse/a.ts', `const help = "import x from '../sim' uses window and Math.random()";`, []],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    ['template text is text', 'src/sim/a.ts', 'const s = `window ${n} Math.random()`;', []],
    ['regex literals are text', 'src/parse/a.ts', "const re = /window|'|Date.now/;", []],
    ['look-alike names are fine', 'src/sim/a.ts', 'const windowSize = rule.document + dateNow;', []],
    ['Array.from is not an import', 'src/sim/a.ts', "const a = Array.from('abc');", []],
    // placement
    ['files belong to a stage', 'src/util/a.ts', '', ['placement']],
    ['no source at the top of src', 'src/helpers.ts', '', ['placement']],
    ['tests may sit at the top of src', 'src/x.test.ts', "import fs from 'node:fs';", []],
  ];

  test.each(cases)('%s', (_behaviour, path, source, rules) => {
    expect(checkFile({ path, source }).map((v) => v.rule)).toEqual(rules);
  });

  test('reports the line of the offending import', () => {
    const [violation] = checkFile({ path: 'src/parse/a.ts', source: "// header\n\nimport { x } from '../kube';\n" });
    expect(violation).toMatchObject({ line: 3, rule: 'direction' });
  });
});
