// A virtualised scroller: only the rows on screen exist in the DOM, however many rows there
// are (a 10 MB tape has 600,000 of them). Past the height a browser allows an element, the
// scroll bar is scaled: its range maps linearly onto the rows.
//
// Drawing never reads the layout: the scroller's height comes from its ResizeObserver (which
// the browser calls after laying out, before painting) and its scroll offset from its scroll
// events, so a page with several lists lays out once per frame instead of once per list.
import { h } from './dom.js';

const MAX_HEIGHT = 4_000_000; // px, well under every browser's limit on an element's height

export class VirtualList {
  /**
   * @param {HTMLElement} scroller an element with a fixed height and overflow: auto
   * @param {{rowHeight: number, draw: (first: number, last: number) => HTMLElement[]}} options
   *   draw returns the elements of rows first..last (exclusive); they are placed here.
   */
  constructor(scroller, { rowHeight, draw }) {
    this.scroller = scroller;
    this.rowHeight = rowHeight;
    this.drawRows = draw;
    this.rows = 0;
    this.view = h('div', { class: 'vl-view' });
    this.spacer = h('div', { class: 'vl-spacer' });
    scroller.classList.add('vl');
    scroller.replaceChildren(this.view, this.spacer);
    /** The scroller's inner height (no padding, no horizontal scroll bar: see style.css's .vl). */
    this.viewHeight = 0;
    /** The scroller's scroll offset, as last set or scrolled to. */
    this.scrollTop = 0;
    scroller.addEventListener('scroll', () => {
      this.scrollTop = this.scroller.scrollTop;
      this.schedule();
    }, { passive: true });
    /** A reveal asked for before the scroller's height was known, done once it is. */
    this.revealWanted = null;
    new ResizeObserver(([entry]) => {
      this.viewHeight = entry.contentRect.height;
      const wanted = this.revealWanted;
      this.revealWanted = null;
      if (wanted && this.viewHeight) this.reveal(...wanted);
      else this.draw();
    }).observe(scroller);
    this.pending = false;
  }

  setRowHeight(rowHeight) {
    this.rowHeight = rowHeight;
  }

  setCount(rows) {
    this.rows = rows;
    this.draw();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  metrics() {
    const viewHeight = this.viewHeight;
    const total = this.rows * this.rowHeight;
    const height = Math.min(total, MAX_HEIGHT);
    const maxScroll = Math.max(0, height - viewHeight);
    const realMax = Math.max(0, total - viewHeight);
    return { viewHeight, total, height, maxScroll, realMax };
  }

  /** The virtual pixel offset of the top of the view. */
  top() {
    const { maxScroll, realMax } = this.metrics();
    if (!maxScroll) return 0;
    return (Math.min(this.scrollTop, maxScroll) / maxScroll) * realMax;
  }

  draw() {
    const { viewHeight, height } = this.metrics();
    this.view.style.height = `${viewHeight}px`;
    this.spacer.style.height = `${Math.max(0, height - viewHeight)}px`;
    const top = this.top();
    const first = Math.floor(top / this.rowHeight);
    const shift = top - first * this.rowHeight;
    const last = Math.min(this.rows, first + Math.ceil((viewHeight + shift) / this.rowHeight) + 1);
    const elements = first < last ? this.drawRows(first, last) : [];
    elements.forEach((el, i) => {
      el.style.position = 'absolute';
      el.style.left = '0';
      el.style.right = '0';
      el.style.top = `${(i * this.rowHeight - shift).toFixed(1)}px`;
      el.style.height = `${this.rowHeight}px`;
    });
    this.view.replaceChildren(...elements);
  }

  /**
   * Scrolls so that row i is on screen (no move when it already is). With `context`, a row
   * scrolled into view lands a third of the way down, with rows before it to read.
   */
  reveal(i, { context = false } = {}) {
    if (!this.viewHeight) {
      this.revealWanted = [i, { context }];
      return;
    }
    const { viewHeight, maxScroll, realMax } = this.metrics();
    if (!maxScroll) return;
    const rowTop = i * this.rowHeight;
    const top = this.top();
    const outside = rowTop < top || rowTop + this.rowHeight > top + viewHeight;
    if (!outside) return;
    let want;
    if (context) want = rowTop - viewHeight / 3;
    else if (rowTop < top) want = rowTop;
    else want = rowTop + this.rowHeight - viewHeight;
    want = Math.max(0, Math.min(realMax, want));
    this.scrollTop = Math.round((want / realMax) * maxScroll);
    this.draw();
    this.scroller.scrollTop = this.scrollTop;
  }

  /** Scrolls to the last row. */
  revealEnd() {
    if (this.rows) this.reveal(this.rows - 1);
  }
}
