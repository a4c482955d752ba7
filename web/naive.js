// The naive receiver's pane: each chunk that has arrived, taken for one message, with core's
// verdict on it (whole, merged or broken).
import { h, num, printable } from './dom.js';
import { VirtualList } from './vlist.js';

/** @param {import('./pkg/seam_wasm.js').NaiveView} read */
function verdictText(read) {
  const first = read.first_message + 1;
  if (read.verdict === 'whole') return `= message ${first}`;
  if (read.verdict === 'merged') return `messages ${first}–${first + read.messages - 1} stuck together`;
  return read.messages > 1
    ? `pieces of messages ${first}–${first + read.messages - 1}`
    : `a piece of message ${first}`;
}

export class NaivePane {
  constructor(summary, list) {
    this.summary = summary;
    /** @type {import('./pkg/seam_wasm.js').Timeline | null} */
    this.timeline = null;
    this.step = 0;
    this.list = new VirtualList(list, { rowHeight: 50, draw: (a, b) => this.drawRows(a, b) });
  }

  setTimeline(timeline) {
    this.timeline = timeline;
  }

  /**
   * @param {number} step
   * @param {import('./pkg/seam_wasm.js').StepView} state
   */
  setStep(step, state) {
    this.step = step;
    const sent = this.timeline?.sentMessages ?? 0;
    this.summary.replaceChildren(
      h('span', {}, `${num(step)} recv() calls → ${num(step)} "messages" (the sender sent ${num(sent)}): `),
      h('span', { class: 'badge whole' }, `${num(state.whole)} whole`), ' ',
      h('span', { class: 'badge merged' }, `${num(state.merged)} merged`), ' ',
      h('span', { class: 'badge broken' }, `${num(state.broken)} broken`),
    );
    this.list.setCount(step);
    this.list.revealEnd();
  }

  drawRows(first, last) {
    const timeline = this.timeline;
    if (!timeline) return [];
    const reads = timeline.naive(first, last);
    return reads.map((read, i) => {
      const index = first + i;
      const len = read.end - read.start;
      const bytes = timeline.bytes(read.start, Math.min(read.end, read.start + 60));
      return h('div', { class: `naive-row ${read.verdict}${index === this.step - 1 ? ' current' : ''}`, 'data-verdict': read.verdict },
        h('div', { class: 'line1' },
          h('span', { class: 'label' }, `recv #${num(index + 1)}`),
          h('span', { class: `badge ${read.verdict}` }, read.verdict),
          h('span', { class: 'muted' }, `${num(len)} B · ${verdictText(read)}`)),
        h('div', { class: 'preview mono' }, printable(bytes, 56)));
    });
  }
}
