import { useMemo, useState } from "preact/hooks";
import type { ModelInfo } from "./api";
import { capabilitiesOf, capabilityName, chatModels, filterModels, type SortKey } from "./catalog";
import { formatContext, formatPrice } from "./format";

export const maxCompared = 4;

interface Props {
  models: ModelInfo[];
  selected: string[];
  onSelect(ids: string[]): void;
  onTry(): void;
}

export function Catalogue({ models, selected, onSelect, onTry }: Props) {
  const [text, setText] = useState("");
  const [capability, setCapability] = useState("");
  const [maxPrice, setMaxPrice] = useState("");
  const [sort, setSort] = useState<SortKey>("name");
  const caps = useMemo(() => capabilitiesOf(models), [models]);
  const chat = useMemo(() => new Set(chatModels(models).map((m) => m.id)), [models]);
  const price = maxPrice.trim() === "" || isNaN(Number(maxPrice)) ? null : Number(maxPrice);
  const shown = filterModels(models, { text, capability, maxPrice: price, sort });

  const toggle = (id: string) =>
    onSelect(selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id].slice(0, maxCompared));

  return (
    <>
      <div class="toolbar" role="search">
        <div class="field grow">
          <label for="cat-search">Search</label>
          <input id="cat-search" type="search" placeholder="Model or provider" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="cat-cap">Capability</label>
          <select id="cat-cap" value={capability} onChange={(e) => setCapability((e.target as HTMLSelectElement).value)}>
            <option value="">Any</option>
            {caps.map((c) => (
              <option value={c}>{capabilityName(c)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="cat-price">Max price ($ / 1M tokens)</label>
          <input id="cat-price" type="number" min="0" step="0.01" inputMode="decimal" value={maxPrice} onInput={(e) => setMaxPrice((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="cat-sort">Sort by</label>
          <select id="cat-sort" value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as SortKey)}>
            <option value="name">Name</option>
            <option value="price">Price (low to high)</option>
            <option value="context">Context (large to small)</option>
          </select>
        </div>
      </div>
      <p class="muted small" aria-live="polite" data-testid="catalogue-count">
        {shown.length} of {models.length} models · {selected.length} of {maxCompared} selected for the playground
        {selected.length > 0 && (
          <>
            {" "}
            <button type="button" class="link" onClick={onTry}>
              Open playground
            </button>
          </>
        )}
      </p>
      <div class="table-wrap">
        <table class="catalogue">
          <caption class="sr-only">Models this key may use</caption>
          <thead>
            <tr>
              <th scope="col">Compare</th>
              <th scope="col">Model</th>
              <th scope="col">Provider</th>
              <th scope="col" class="num">Context</th>
              <th scope="col" class="num">Input / 1M</th>
              <th scope="col" class="num">Output / 1M</th>
              <th scope="col">Capabilities</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((m) => {
              const on = selected.includes(m.id);
              return (
                <tr key={m.id} data-model={m.id}>
                  <td>
                    <input
                      type="checkbox"
                      id={"pick-" + m.id}
                      aria-label={"Compare " + m.id + " in the playground"}
                      checked={on}
                      disabled={!chat.has(m.id) || (!on && selected.length >= maxCompared)}
                      onChange={() => toggle(m.id)}
                    />
                  </td>
                  <th scope="row" class="model-id">
                    {m.id}
                  </th>
                  <td>{m.providers.join(", ")}</td>
                  <td class="num">{formatContext(m.contextWindow ?? 0)}</td>
                  <td class="num">{formatPrice(m.inputPerMillion)}</td>
                  <td class="num">{formatPrice(m.outputPerMillion)}</td>
                  <td>
                    <ul class="chips">
                      {m.capabilities.map((c) => (
                        <li>{capabilityName(c)}</li>
                      ))}
                    </ul>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {shown.length === 0 && <p class="empty">No model matches these filters.</p>}
      </div>
    </>
  );
}
