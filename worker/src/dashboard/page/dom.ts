/** Tiny DOM helpers: elements built with text only (never HTML strings), so worker data cannot inject markup. */

/** The element with this id. @throws Error when the page lacks it (a broken shell). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e as T;
}

/** `<tag class=…>` with text and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; attrs?: Record<string, string> } = {},
  ...children: (Node | null)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) if (c) e.append(c);
  return e;
}

/** Shows the list or its "nothing here" line. */
export function showEmpty(list: HTMLElement, empty: HTMLElement, isEmpty: boolean): void {
  list.hidden = isEmpty;
  empty.hidden = !isEmpty;
}
