import type { Diagnostic, Family, IpsetState } from '../model';
import type { IpsetParseResult } from './ipset-save';

// `ipset list` output (ipset lib/session.c list_create / list_adt, plain format): per set
//   Name: KUBE-CLUSTER-IP
//   Type: hash:ip,port
//   Revision: 6
//   Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x5e1d0c3a
//   Size in memory: 592
//   References: 2
//   Number of entries: 1
//   Members:
//   10.96.0.10,udp:53
// and a blank line between sets. Members read as `ipset save` prints them after the set name.

/** The family a create line's or Header's options give (`family inet6`); absent: inet. */
export function familyOption(words: string[]): Family | undefined {
  const k = words.indexOf('family');
  if (k < 0) return undefined;
  return words[k + 1] === 'inet6' ? 6 : words[k + 1] === 'inet' ? 4 : undefined;
}

const HEADER_FIELDS = new Set(['Revision', 'Header', 'Size in memory', 'References', 'Number of entries']);

export function parseIpsetList(text: string): IpsetParseResult {
  const sets: Record<string, IpsetState> = {};
  const diagnostics: Diagnostic[] = [];
  let name = '';
  let set: IpsetState | null = null;
  let inMembers = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const line = raw.trim();
    const column = raw.length - raw.trimStart().length + 1;
    const span = { line: i + 1, column, length: line.length };
    if (line === '') {
      inMembers = false;
      continue;
    }
    const field = /^(Name|Type|Revision|Header|Size in memory|References|Number of entries|Members):\s*(.*)$/.exec(
      line,
    );
    if (field && !(inMembers && field[1] !== 'Name')) {
      const [, key, value] = field;
      if (key === 'Name') {
        name = value;
        set = null;
        inMembers = false;
        if (sets[name])
          diagnostics.push({
            severity: 'error',
            code: 'ipset-duplicate',
            message: `set ${name} is listed twice; the later listing replaces the first`,
            span,
          });
      } else if (key === 'Type') {
        if (!name) {
          diagnostics.push({ severity: 'error', code: 'ipset-bad-line', message: 'Type: before any Name: line', span });
          continue;
        }
        set = { type: value, entries: [] };
        sets[name] = set;
      } else if (key === 'Header') {
        const family = familyOption(value.split(/\s+/));
        if (set && family) set.family = family;
      } else if (key === 'Members') {
        if (!set) {
          diagnostics.push({
            severity: 'error',
            code: 'ipset-bad-line',
            message: 'Members: of a set with no Name: and Type: lines above',
            span,
          });
          continue;
        }
        inMembers = true;
      } else if (!HEADER_FIELDS.has(key)) {
        diagnostics.push({ severity: 'error', code: 'ipset-bad-line', message: `unexpected ${key}: line`, span });
      }
      continue;
    }
    if (inMembers && set) {
      set.entries.push(line);
      continue;
    }
    diagnostics.push({
      severity: 'error',
      code: 'ipset-bad-line',
      message: 'not an `ipset list` line: expected `Name:`, `Type:`, `Header:` … `Members:` and one member per line',
      span,
    });
  }
  return { sets, diagnostics };
}
