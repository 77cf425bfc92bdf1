import type { Diagnostic, IpsetState } from '../model';
import { familyOption } from './ipset-list';

// `ipset save` output: `create NAME TYPE [options]` then `add NAME ENTRY [options]`.
// Only what the simulator needs: each set's type and its entries.

export interface IpsetParseResult {
  sets: Record<string, IpsetState>;
  diagnostics: Diagnostic[];
}

export function parseIpsetSave(text: string): IpsetParseResult {
  const sets: Record<string, IpsetState> = {};
  const diagnostics: Diagnostic[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const column = raw.indexOf(words[0]) + 1;
    if (words[0] === 'create' && words.length >= 3) {
      const family = familyOption(words);
      sets[words[1]] = family ? { type: words[2], entries: [], family } : { type: words[2], entries: [] };
    } else if (words[0] === 'add' && words.length >= 3) {
      const set = sets[words[1]];
      if (!set) {
        diagnostics.push({
          severity: 'error',
          code: 'ipset-undefined',
          message: `add to set ${words[1]}, which no create line defines`,
          span: { line: i + 1, column, length: line.length },
        });
        continue;
      }
      set.entries.push(words.slice(2).join(' '));
    } else {
      diagnostics.push({
        severity: 'error',
        code: 'ipset-bad-line',
        message: 'not an `ipset save` line: expected `create NAME TYPE …` or `add NAME ENTRY`',
        span: { line: i + 1, column, length: line.length },
      });
    }
  }
  return { sets, diagnostics };
}

/**
 * Sets as `ipset save` prints them: a create line and an add line per entry. A bitmap:port set is
 * written with kube-proxy's `range 0-65535` (the model keeps no range).
 */
export function formatIpsetSave(sets: Record<string, IpsetState>): string {
  const out: string[] = [];
  for (const [name, set] of Object.entries(sets)) {
    const options =
      set.type === 'bitmap:port'
        ? ' range 0-65535'
        : set.family
          ? ` family ${set.family === 6 ? 'inet6' : 'inet'}`
          : '';
    out.push(`create ${name} ${set.type}${options}`);
    for (const entry of set.entries) out.push(`add ${name} ${entry}`);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
