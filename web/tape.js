// The byte tape: every byte of the stream as a cell, coloured by the role the decoder gave it
// at the current step, with chunk boundaries, the chunk that just arrived and the decoder's
// position. Virtualised: only the rows on screen are drawn.
import { h, hex2, glyph } from './dom.js';
import { VirtualList } from './vlist.js';

const ROLE_NAMES = ['not arrived yet', 'length prefix', 'header', 'body', 'made the decoder fail', 'never read'];
const CELL = 26; // px per byte cell (style.css: .cell width)
const DIGIT = 7; // px per digit of the offset column (11px monospace)

/** Index of the first chunk whose end is past `offset` (chunk ends are increasing). */
export function chunkAt(ends, offset) {
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid] <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Tape {
  /**
   * @param {HTMLElement} root
   * @param {{onPick: (offset: number, manual: boolean) => void}} handlers
   */
  constructor(root, { onPick }) {
    this.root = root;
    this.onPick = onPick;
    /** @type {import('./pkg/seam_wasm.js').Timeline | null} */
    this.timeline = null;
    /** @type {Float64Array} */
    this.ends = new Float64Array();
    this.step = 0;
    this.position = 0;
    this.manual = false;
    this.perRow = 16;
    this.list = new VirtualList(root, { rowHeight: 40, draw: (a, b) => this.drawRows(a, b) });
    /** The tape's inner width, from its ResizeObserver (reading it would force a layout). */
    this.width = 0;
    new ResizeObserver(([entry]) => {
      this.width = entry.contentRect.width;
      this.fit();
    }).observe(root);
    root.addEventListener('click', (event) => {
      const cell = event.target instanceof Element ? event.target.closest('.cell') : null;
      if (cell instanceof HTMLElement) this.onPick(Number(cell.dataset.offset), this.manual);
    });
  }

  /** The offset column's width: room for the stream's largest offset. */
  offsetWidth() {
    const digits = String(this.timeline ? this.timeline.length : 0).length;
    return Math.max(40, digits * DIGIT + 14);
  }

  /** Sets the cells per row the tape's width has room for; true when that changed. */
  measure() {
    const width = this.width - this.offsetWidth() - 8;
    let perRow = Math.max(4, Math.floor(width / CELL));
    perRow = perRow >= 16 ? 16 * Math.floor(perRow / 16) : 4 * Math.floor(perRow / 4);
    perRow = Math.min(perRow, 32);
    const changed = perRow !== this.perRow;
    this.perRow = perRow;
    return changed;
  }

  fit() {
    if (this.measure()) this.update();
  }

  /**
   * A new timeline; drawn by the `setStep` that follows (drawing here too would lay out and
   * draw the tape twice).
   * @param {import('./pkg/seam_wasm.js').Timeline} timeline
   * @param {Float64Array} ends
   */
  setTimeline(timeline, ends) {
    this.timeline = timeline;
    this.ends = ends;
    this.root.style.setProperty('--offset-width', `${this.offsetWidth()}px`);
    this.measure();
  }

  /** Shows `step`, the decoder at `position`; scrolls so that byte `focus` is on screen. */
  setStep(step, position, focus = position) {
    this.step = step;
    this.position = position;
    this.root.classList.toggle('manual', this.manual);
    this.update();
    const len = this.timeline ? this.timeline.length : 0;
    if (len) this.list.reveal(Math.floor(Math.min(focus, len - 1) / this.perRow), { context: true });
  }

  setManual(manual) {
    this.manual = manual;
    this.root.classList.toggle('manual', manual);
  }

  update() {
    const len = this.timeline ? this.timeline.length : 0;
    this.list.setCount(Math.ceil(len / this.perRow));
  }

  drawRows(first, last) {
    const timeline = this.timeline;
    if (!timeline) return [];
    const len = timeline.length;
    const start = first * this.perRow;
    const end = Math.min(len, last * this.perRow);
    const roles = timeline.roles(this.step, start, end);
    const bytes = timeline.bytes(start, end);
    const ends = this.ends;
    let chunk = chunkAt(ends, start);
    const rows = [];
    for (let row = first; row < last; row++) {
      const rowStart = row * this.perRow;
      const cells = [];
      for (let offset = rowStart; offset < Math.min(len, rowStart + this.perRow); offset++) {
        while (chunk < ends.length - 1 && ends[chunk] <= offset) chunk++;
        const i = offset - start;
        const role = roles[i];
        const chunkStart = chunk === 0 ? 0 : ends[chunk - 1];
        let cls = `cell role-${role}${chunk % 2 ? ' odd' : ''}`;
        if (offset === chunkStart && offset > 0) cls += ' cut';
        if (chunk === this.step - 1) cls += ' current';
        if (offset === this.position) cls += ' pos';
        cells.push(
          h('span', {
            class: cls,
            'data-offset': offset,
            title: `byte ${offset} = 0x${hex2(bytes[i])} · chunk ${chunk + 1} · ${ROLE_NAMES[role]}`,
          }, h('b', {}, hex2(bytes[i])), h('i', {}, glyph(bytes[i]))),
        );
      }
      rows.push(h('div', { class: 'tape-row' }, h('span', { class: 'off' }, String(rowStart)), cells));
    }
    return rows;
  }
}
