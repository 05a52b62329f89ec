// Tiny DOM builders. Text always goes in as text nodes (never innerHTML), so nothing the API
// returns — names, reasons, summaries — can inject markup.

export type Child = Node | string | number | null | undefined | false;
/** Children nest freely: a view can pass a list of lists without flattening it first. */
export type Children = Child | readonly Children[];
type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue | ((ev: Event) => void)>;

function apply(el: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v));
  }
}

function append(el: Element, children: readonly Children[]): void {
  for (const c of (children as unknown[]).flat(Infinity) as Child[]) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
}

/** An HTML element: h('button', { class: 'x', onclick: fn }, 'Label'). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Children[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element; numbers are rounded so the markup stays small and diff-able. */
export function s(tag: string, attrs?: Attrs, ...children: Children[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  const rounded: Attrs = {};
  for (const [k, v] of Object.entries(attrs ?? {})) rounded[k] = typeof v === 'number' ? Math.round(v * 10) / 10 : v;
  apply(el, rounded);
  append(el, children);
  return el;
}

/**
 * Swap a region's content, keeping keyboard focus: an auto-refresh must not throw a keyboard
 * user back to the top of the page. Elements that can hold focus carry data-focus-key.
 */
export function replaceContent(region: Element, ...children: Children[]): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && region.contains(active) ? active.dataset.focusKey : undefined;
  region.replaceChildren();
  append(region, children);
  if (key) region.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
}

/** A visually hidden label for screen readers. */
export const srOnly = (text: string): HTMLSpanElement => h('span', { class: 'sr-only' }, text);
