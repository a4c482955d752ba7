// Small DOM helpers shared by the page's modules. Layout and drawing only.

/** Creates an element: h('div', {class: 'x', onclick: f}, child, 'text', ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Two lowercase hex digits. */
export const hex2 = (byte) => byte.toString(16).padStart(2, '0');

/** A byte as one visible character: printable ASCII as itself, the rest as a symbol. */
export function glyph(byte) {
  if (byte === 0x0a) return '↵';
  if (byte === 0x20) return '␣';
  if (byte >= 0x21 && byte < 0x7f) return String.fromCharCode(byte);
  return '·';
}

/** Bytes as text for a preview line: printable ASCII kept, newlines as ↵, others as \xNN. */
export function printable(bytes, max = 80) {
  let out = '';
  for (let i = 0; i < bytes.length && out.length < max; i++) {
    const b = bytes[i];
    if (b === 0x0a) out += '↵';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${hex2(b)}`;
  }
  return bytes.length && out.length >= max ? out.slice(0, max) + '…' : out;
}

const NUMBER = new Intl.NumberFormat('en-US');

/** 1234567 → "1,234,567". */
export const num = (n) => NUMBER.format(Number(n));

/** A byte count for people: 512 B, 1.5 KB, 10.0 MB. */
export function size(n) {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} KB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** Runs fn at most once per `ms`, after the last call. */
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
