// The metric name box: suggestions as you type (names starting with the text first, then containing it, then with
// its letters in order — the service ranks them), arrows to move, Enter or a click to pick.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.ts';

export interface NameSuggestion {
  name: string;
  type: string;
  unit: string;
  match: string;
}

interface Props {
  value: string;
  onPick: (name: string) => void;
  onError: (message: string) => void;
}

export function NameBox({ value, onPick, onError }: Props): JSX.Element {
  const [text, setText] = useState(value);
  const [open, setOpen] = useState(false);
  const [suggestions, setSuggestions] = useState<NameSuggestion[]>([]);
  const [active, setActive] = useState(0);

  useEffect(() => setText(value), [value]);

  useEffect(() => {
    if (!open) return;
    let stale = false;
    const timer = setTimeout(() => {
      getJson<{ names: NameSuggestion[] }>('/api/metrics/names', { q: text.trim(), limit: 15 })
        .then((r) => {
          if (stale) return;
          setSuggestions(r.names);
          setActive(0);
        })
        .catch((err: unknown) => {
          if (!stale) onError((err as Error).message);
        });
    }, 120);
    return () => {
      clearTimeout(timer);
      stale = true;
    };
  }, [text, open]);

  const pick = (name: string) => {
    setText(name);
    setOpen(false);
    onPick(name);
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') {
      setOpen(true);
      setActive((a) => Math.min(a + 1, suggestions.length - 1));
      e.preventDefault();
    } else if (e.key === 'ArrowUp') {
      setActive((a) => Math.max(a - 1, 0));
      e.preventDefault();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const chosen = open ? suggestions[active]?.name : undefined;
      pick(chosen ?? text.trim());
    } else if (e.key === 'Escape') setOpen(false);
  };

  return (
    <div class="name-box">
      <input
        data-search
        data-testid="metric-name"
        role="combobox"
        aria-expanded={open && suggestions.length > 0}
        aria-controls="metric-suggestions"
        aria-label="metric name"
        placeholder="metric name — type to search (prefix, then fuzzy)"
        autocomplete="off"
        value={text}
        onInput={(e) => {
          setText((e.target as HTMLInputElement).value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKey}
      />
      {open && suggestions.length > 0 && (
        <ul id="metric-suggestions" role="listbox" class="suggestions" data-testid="metric-suggestions">
          {suggestions.map((s, i) => (
            <li
              key={s.name}
              role="option"
              aria-selected={i === active}
              data-name={s.name}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(s.name);
              }}
            >
              <span class="mono">{s.name}</span>
              <span class="muted">
                {s.type}
                {s.unit ? ` · ${s.unit}` : ''}
                {s.match !== 'prefix' ? ` · ${s.match}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
