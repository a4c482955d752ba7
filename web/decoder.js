// Seam's side: the decoder's status (position, what it waits for, its error), the event log
// and the messages completed so far. Everything shown comes from core through the timeline.
import { h, num } from './dom.js';
import { VirtualList } from './vlist.js';

const short = (text, max) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** @param {import('./pkg/seam_wasm.js').EventView} event */
function describe(event) {
  switch (event.kind) {
    case 'length': return `length prefix → header is ${num(event.value)} bytes`;
    case 'header': return `${short(event.raw ?? '', 90)} → body ${num(event.value)} B`;
    case 'body': return `body piece, ${num(event.value)} B`;
    default: return `message complete (${num(event.end - event.start)} B)`;
  }
}

export class DecoderPane {
  constructor(status, events, messages) {
    this.status = status;
    /** @type {import('./pkg/seam_wasm.js').Timeline | null} */
    this.timeline = null;
    this.step = 0;
    this.events = new VirtualList(events, { rowHeight: 26, draw: (a, b) => this.drawEvents(a, b) });
    this.messages = new VirtualList(messages, { rowHeight: 48, draw: (a, b) => this.drawMessages(a, b) });
  }

  setTimeline(timeline) {
    this.timeline = timeline;
    // Room for "start–end" of the stream's largest offsets.
    const digits = String(timeline.length).length;
    this.events.scroller.style.setProperty('--span-width', `${2 * digits + 2}ch`);
  }

  /**
   * @param {number} step
   * @param {import('./pkg/seam_wasm.js').StepView} state
   */
  setStep(step, state) {
    this.step = step;
    const total = this.timeline?.length ?? 0;
    const parts = [
      h('span', { class: 'pos-label' }, `position ${num(state.position)} of ${num(total)}`),
    ];
    if (state.error) {
      parts.push(h('span', { class: 'err' }, `✗ ${state.ended && state.error.kind === 'truncated' ? 'finish(): ' : ''}${state.error.message}`));
    } else if (state.ended) {
      parts.push(h('span', { class: 'ok' }, `✓ stream ended on a frame boundary: ${num(state.messages)} whole messages`));
    } else if (state.waiting) {
      parts.push(h('span', { class: 'wait' }, `waiting for ${state.waiting.text}`));
    }
    this.status.replaceChildren(...parts);
    this.status.dataset.state = state.error ? 'error' : state.ended ? 'done' : 'waiting';
    this.events.setCount(state.events);
    this.events.revealEnd();
    this.messages.setCount(state.messages);
    this.messages.revealEnd();
  }

  drawEvents(first, last) {
    if (!this.timeline) return [];
    return this.timeline.events(first, last).map((event) =>
      h('div', { class: `event ${event.kind}${event.chunk === this.step - 1 ? ' current' : ''}`, title: event.raw ?? '' },
        h('span', { class: 'muted idx' }, `${event.start}–${event.end}`),
        h('span', { class: `kind k-${event.kind}` }, event.kind),
        h('span', { class: 'what' }, describe(event))));
  }

  drawMessages(first, last) {
    if (!this.timeline) return [];
    return this.timeline.messages(first, last, 80).map((message) =>
      h('div', { class: `message${message.chunk === this.step - 1 ? ' current' : ''}` },
        h('div', { class: 'line1' },
          h('span', { class: 'label' }, `#${num(message.index + 1)}`),
          h('span', { class: 'mono hdr' }, short(message.raw, 120))),
        h('div', { class: 'line2 muted' },
          `bytes ${num(message.start)}–${num(message.end)} · body ${num(message.body_len)} B`,
          message.body_len ? h('span', { class: 'mono body' }, ` ${JSON.stringify(short(message.body_preview, 60))}`) : '')));
  }
}
