// The sender's panel: the list of send() calls (header text, body, how each is framed) and,
// for each, the bytes core encoded it to.
import { $, h, hex2, num, printable } from './dom.js';

/**
 * How a send is framed: the Rust `SendMode`s (checked against the generated type).
 * @type {[import('./pkg/seam_wasm.js').SendMode, string][]}
 */
const MODES = [
  ['auto', 'frame (size set from the body)'],
  ['as_typed', 'frame, header exactly as typed'],
  ['unframed', 'raw bytes, no framing'],
];

const rowsFor = (text) => Math.min(6, Math.max(1, text.split('\n').length));

export class SenderPanel {
  /**
   * @param {object} options
   * @param {import('./pkg/seam_wasm.js').PresetView[]} options.presets core's presets, for the menu
   * @param {(name: string) => import('./pkg/seam_wasm.js').SendSpec[] | undefined} options.preset a preset's sends
   * @param {() => void} options.onEdit text changed
   * @param {() => void} options.onStructure sends added, removed, moved or re-moded
   */
  constructor({ presets, preset, onEdit, onStructure }) {
    this.list = $('#sends');
    this.onEdit = onEdit;
    this.onStructure = onStructure;
    /** @type {import('./pkg/seam_wasm.js').SendSpec[]} */
    this.sends = [];
    const select = $('#preset');
    select.replaceChildren(...presets.map(({ name, description }) => h('option', { value: name }, description)));
    $('#add-preset').addEventListener('click', () => {
      const base = this.sends.length;
      for (const send of preset(select.value) ?? []) {
        // A preset's "describes" points inside the preset: shift it past the sends already there.
        if (send.describes !== undefined && send.describes !== null) send.describes += base;
        this.sends.push(send);
      }
      this.onStructure();
    });
    $('#clear-sends').addEventListener('click', () => {
      this.sends.length = 0;
      this.onStructure();
    });
  }

  /**
   * Draws the list anew for `sends` (the state's array, edited in place).
   * @param {import('./pkg/seam_wasm.js').SendSpec[]} sends
   */
  render(sends) {
    this.sends = sends;
    this.list.replaceChildren(...sends.map((send, i) => this.card(send, i)));
    if (!sends.length) this.list.append(h('li', { class: 'empty muted' }, 'No sends yet: add a preset above.'));
  }

  card(send, i) {
    const mode = send.mode || 'auto';
    const header = h('textarea', { class: 'mono', rows: rowsFor(send.header || ''), spellcheck: false, 'aria-label': `Header of send ${i + 1}` });
    header.value = send.header || '';
    header.addEventListener('input', () => {
      send.header = header.value;
      header.rows = rowsFor(header.value);
      this.onEdit();
    });
    const body = h('textarea', { class: 'mono', rows: rowsFor(send.body || ''), spellcheck: false, 'aria-label': `Body of send ${i + 1}` });
    body.value = send.body || '';
    body.addEventListener('input', () => {
      send.body = body.value;
      body.rows = rowsFor(body.value);
      this.onEdit();
    });
    const modeSelect = h('select', { class: 'mode', 'aria-label': `How send ${i + 1} is framed` },
      MODES.map(([value, text]) => h('option', { value, selected: value === mode }, text)));
    modeSelect.addEventListener('change', () => {
      send.mode = modeSelect.value;
      this.onStructure();
    });
    const move = (to) => {
      if (to < 0 || to >= this.sends.length) return;
      [this.sends[i], this.sends[to]] = [this.sends[to], this.sends[i]];
      this.onStructure();
    };
    const remove = () => {
      this.sends.splice(i, 1);
      for (const other of this.sends) {
        if (other.describes === i) delete other.describes;
        else if (other.describes != null && other.describes > i) other.describes -= 1;
      }
      this.onStructure();
    };
    const describes = send.describes !== undefined && send.describes !== null;
    const unframed = mode === 'unframed';
    return h('li', { class: `send mode-${mode}` },
      h('div', { class: 'send-head' },
        h('span', { class: 'send-no' }, `send #${i + 1}`),
        modeSelect,
        h('span', { class: 'tools' },
          h('button', { class: 'icon', title: 'Move up', 'aria-label': 'Move up', onclick: () => move(i - 1) }, '↑'),
          h('button', { class: 'icon', title: 'Move down', 'aria-label': 'Move down', onclick: () => move(i + 1) }, '↓'),
          h('button', { class: 'icon', title: 'Remove', 'aria-label': 'Remove', onclick: remove }, '✕'))),
      unframed ? null : h('label', { class: 'field' }, h('span', {}, 'header'), header),
      unframed && describes ? null : h('label', { class: 'field' }, h('span', {}, unframed ? 'bytes' : 'body'), body),
      describes
        ? h('p', { class: 'note' }, unframed
          ? `Sends the MD5 of send #${send.describes + 1}'s body as 32 hex digits, unframed.`
          : `"md5" and "total" are filled from send #${send.describes + 1}'s body.`)
        : null,
      h('div', { class: 'encoded' }));
  }

  /**
   * Shows what core made of each send: its bytes and their parts, or why it was not sent.
   * @param {import('./pkg/seam_wasm.js').SentView[]} views
   */
  showEncoded(views) {
    const cards = this.list.querySelectorAll('.send');
    views.forEach((view, i) => {
      const out = cards[i] && cards[i].querySelector('.encoded');
      if (!out) return;
      if ('error' in view) {
        out.replaceChildren(h('p', { class: 'err' }, `✗ ${view.error} (not sent)`));
        return;
      }
      const bytes = view.bytes;
      const prefix = Array.from(bytes.subarray(0, view.prefix_len), hex2).join(' ');
      const body = bytes.subarray(view.prefix_len + view.header_len);
      const parts = view.prefix_len
        ? `${num(bytes.length)} bytes = ${num(view.prefix_len)} prefix + ${num(view.header_len)} header + ${num(view.body_len)} body`
        : `${num(bytes.length)} bytes, no prefix, no header`;
      out.replaceChildren(
        h('div', { class: 'wire mono' },
          view.prefix_len ? h('span', { class: 'w-prefix', title: 'length prefix: the header length' }, prefix) : null,
          view.prefix_len ? h('span', { class: 'w-header', title: 'header' }, view.header_text) : null,
          body.length ? h('span', { class: 'w-body', title: 'body' }, printable(body, 48)) : null),
        h('div', { class: 'muted small' }, parts));
    });
  }
}
