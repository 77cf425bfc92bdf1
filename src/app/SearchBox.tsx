import { useEffect, useRef, useState } from 'react';
import { type Graph, type SearchHit, thousands } from '../graph';
import { requestSearch } from './engine';
import { useAppStore } from './store';

// Search by chain, Service, IP or port: the worker finds the chains (folded ones too), the page
// jumps to the one picked (revealing it if its family is folded). Folded groups match by name.

interface Result {
  id: string;
  title: string;
  detail: string;
}

const DEBOUNCE_MS = 200;

function groupResults(graph: Graph, query: string): Result[] {
  const q = query.trim().toUpperCase();
  if (q.length < 2) return [];
  return graph.groups
    .filter((g) => g.total > g.shown && graph.nodes.some((n) => n.id === g.id) && g.label.toUpperCase().includes(q))
    .map((g) => ({
      id: g.id,
      title: `${g.label} ×${thousands(g.total - g.shown)}`,
      detail: `${g.table} · folded group, click it to unfold`,
    }));
}

function hitResult(hit: SearchHit): Result {
  const why = hit.match.kind === 'name' ? 'name matches' : `line ${hit.match.line}: ${hit.match.text}`;
  return { id: hit.id, title: hit.chain, detail: `${hit.table}${hit.service ? ` · ${hit.service}` : ''} · ${why}` };
}

export function SearchBox({ graph }: { graph: Graph }) {
  const setFocus = useAppStore((s) => s.setFocus);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Result[] | null>(null);
  // Read when a search answers; a redrawn graph does not search again.
  const drawn = useRef(graph);
  drawn.current = graph;

  useEffect(() => {
    if (query.trim().length < 2) {
      setResults(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      requestSearch(query)
        .then((hits) => {
          if (current) setResults([...groupResults(drawn.current, query), ...hits.map(hitResult)]);
        })
        .catch(() => {
          // Overtaken by the next keystroke's search.
        });
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query]);

  const pick = (result: Result) => {
    setFocus(result.id);
    setResults(null);
  };

  return (
    <div className="w-80 text-xs">
      <input
        type="search"
        aria-label="search chains"
        placeholder="Search a chain, Service, IP or port"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && results?.[0]) pick(results[0]);
          if (event.key === 'Escape') setQuery('');
        }}
        className="w-full rounded border border-slate-300 bg-white px-2 py-1 shadow-sm dark:border-slate-700 dark:bg-slate-900"
      />
      {results && (
        <ul
          aria-label="search results"
          className="mt-1 max-h-64 overflow-y-auto rounded border border-slate-300 bg-white shadow dark:border-slate-700 dark:bg-slate-900"
        >
          {results.length === 0 && <li className="px-2 py-1 text-slate-500">No chain mentions “{query.trim()}”.</li>}
          {results.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                onClick={() => pick(r)}
                className="block w-full px-2 py-1 text-left hover:bg-sky-50 dark:hover:bg-sky-950"
              >
                <span className="block truncate font-mono font-semibold">{r.title}</span>
                <span className="block truncate text-slate-500 dark:text-slate-400">{r.detail}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
