// bench/naive: the straightforward baseline a parser has to beat. Split into
// lines, split each line on spaces, one object per token, re-join quoted values.

export interface NaiveToken {
  text: string;
  quoted: boolean;
}
export interface NaiveRule {
  line: number;
  tokens: NaiveToken[];
}
export interface NaiveChain {
  name: string;
  policy: string;
  rules: NaiveRule[];
}
export interface NaiveTable {
  name: string;
  chains: Map<string, NaiveChain>;
}

export function naiveParse(text: string): NaiveTable[] {
  const tables: NaiveTable[] = [];
  let table: NaiveTable | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' || line[0] === '#') continue;
    if (line[0] === '*') {
      table = { name: line.slice(1), chains: new Map() };
      tables.push(table);
      continue;
    }
    if (line === 'COMMIT' || !table) continue;
    const parts = line.split(' ');
    if (line[0] === ':') {
      table.chains.set(parts[0].slice(1), { name: parts[0].slice(1), policy: parts[1], rules: [] });
      continue;
    }
    const tokens: NaiveToken[] = [];
    for (let j = 0; j < parts.length; j++) {
      let p = parts[j];
      if (p === '') continue;
      if (p[0] !== '"') {
        tokens.push({ text: p, quoted: false });
        continue;
      }
      while (!(p.length > 1 && p.endsWith('"') && !p.endsWith('\\"')) && j + 1 < parts.length) p += ` ${parts[++j]}`;
      tokens.push({ text: p.slice(1, -1).replace(/\\(.)/g, '$1'), quoted: true });
    }
    const name = tokens[1]?.text ?? '';
    let chain = table.chains.get(name);
    if (!chain) {
      chain = { name, policy: '-', rules: [] };
      table.chains.set(name, chain);
    }
    chain.rules.push({ line: i + 1, tokens });
  }
  return tables;
}
