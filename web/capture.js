// Packet captures: a .pcap/.pcapng file (picker, drop, or the sample made by the tests) is
// read and reassembled in WebAssembly (Capture); this module lists its TCP streams and shows
// the chosen one as two lanes, client → server and server → client, each with the segments
// as captured and its own decoder, stepped packet by packet. app.js loads it on first use
// (the file picker, the sample button or a dropped capture) and hands it the files.
import { $, h, num, size } from './dom.js';

const SAMPLE = 'samples/seam-session.pcap';
/** Rows drawn per lane at most (a capture may hold millions of segments). */
const MAX_ROWS = 5000;
/** @type {Partial<Record<import('./pkg/seam_wasm.js').Arrival, string>>} */
const MARKS = {
  retransmission: 'retransmitted',
  partial_retransmission: 'partly retransmitted',
  out_of_order: 'out of order',
  after_end: 'after the end',
};

/**
 * One direction of the chosen stream: its segments and its decoder's timeline (null when
 * it could not be made, `gap` saying why).
 * @typedef {object} Lane
 * @property {import('./pkg/seam_wasm.js').Side} direction
 * @property {string} from
 * @property {string} to
 * @property {import('./pkg/seam_wasm.js').SegmentView[]} segments
 * @property {import('./pkg/seam_wasm.js').Timeline | null} timeline
 * @property {string | undefined} gap
 */

export class CapturePanel {
  /**
   * @param {typeof import('./pkg/seam_wasm.js')} wasm the page's module
   * @param {{framing: () => import('./pkg/seam_wasm.js').Framing, onLoad: () => void}} handlers
   */
  constructor(wasm, { framing, onLoad }) {
    this.wasm = wasm;
    this.framing = framing;
    this.onLoad = onLoad;
    /** @type {import('./pkg/seam_wasm.js').Capture | null} */
    this.capture = null;
    this.stream = 0;
    /** @type {import('./pkg/seam_wasm.js').OrderView[]} */
    this.order = [];
    /** @type {Lane[]} */
    this.lanes = [];
    this.status = $('#capture-status');
    this.list = $('#capture-streams');
    this.scrub = $('#capture-scrub');
    this.scrub.addEventListener('input', () => this.go(Number(this.scrub.value)));
    $('#capture-back').addEventListener('click', () => this.go(this.step - 1));
    $('#capture-forward').addEventListener('click', () => this.go(this.step + 1));
    $('#capture-first').addEventListener('click', () => this.go(0));
    $('#capture-last').addEventListener('click', () => this.go(this.order.length));
  }

  async readFile(file) {
    this.load(new Uint8Array(await file.arrayBuffer()), file.name);
  }

  async loadSample() {
    const response = await fetch(SAMPLE);
    if (!response.ok) {
      this.fail(SAMPLE, `HTTP ${response.status}`);
      return;
    }
    this.load(new Uint8Array(await response.arrayBuffer()), 'seam-session.pcap (sample)');
  }

  fail(name, message) {
    this.status.textContent = `✗ ${name}: ${message}`;
    this.status.classList.add('err');
  }

  /** Reads a capture with core; on success picks its largest stream. */
  load(bytes, name) {
    let capture;
    try {
      capture = new this.wasm.Capture(bytes);
    } catch (error) {
      this.fail(name, error.message);
      return;
    }
    this.freeLanes();
    if (this.capture) this.capture.free();
    this.capture = capture;
    this.onLoad();
    const streams = capture.streams();
    const skipped = capture.skipped ? `, ${num(capture.skipped)} other packets` : '';
    this.status.classList.remove('err');
    this.status.textContent = `${name}: ${streams.length} TCP stream${streams.length === 1 ? '' : 's'}${skipped}`;
    const total = (s) => s.bytes.client + s.bytes.server;
    let largest = 0;
    streams.forEach((s, i) => {
      if (total(s) > total(streams[largest])) largest = i;
    });
    this.renderStreams(streams, largest);
    if (streams.length) this.pick(largest);
    else this.renderLanes();
  }

  renderStreams(streams, chosen) {
    this.list.replaceChildren(...streams.map((s, i) => {
      const radio = h('input', { type: 'radio', name: 'capture-stream', value: i, checked: i === chosen });
      radio.addEventListener('change', () => this.pick(i));
      return h('label', { class: 'stream-opt' }, radio,
        h('span', {}, h('b', {}, `stream ${i}`), ` ${s.client} → ${s.server}`),
        h('span', { class: 'muted small' },
          `${num(s.packets)} packets; client sent ${size(s.bytes.client)}, server sent ${size(s.bytes.server)}`));
    }));
  }

  freeLanes() {
    for (const lane of this.lanes) lane.timeline?.free();
    this.lanes = [];
  }

  /** Shows stream `index`: both lanes, at the last packet. */
  pick(index) {
    const capture = this.capture;
    if (!capture) return;
    this.freeLanes();
    this.stream = index;
    this.order = capture.order(index);
    const stream = capture.streams()[index];
    /** @type {import('./pkg/seam_wasm.js').Side[]} */
    const sides = ['client', 'server'];
    this.lanes = sides.map((direction) => {
      const segments = capture.segments(index, direction);
      /** @type {import('./pkg/seam_wasm.js').Timeline | null} */
      let timeline = null;
      let error = capture.laneError(index, direction);
      try {
        timeline = capture.timeline(index, direction, this.framing());
      } catch (e) {
        error = e.message;
      }
      const [from, to] = direction === 'client' ? [stream.client, stream.server] : [stream.server, stream.client];
      return { direction, from, to, segments, timeline, gap: error };
    });
    this.renderLanes();
    this.scrub.max = String(this.order.length);
    this.go(this.order.length);
  }

  /** Rebuilds the lanes' decoders, e.g. after the framing options changed. */
  refresh() {
    if (this.capture && this.capture.streams().length) {
      const step = this.step;
      this.pick(this.stream);
      this.go(step);
    }
  }

  renderLanes() {
    $('#capture-lanes-body').replaceChildren(...this.lanes.map((lane) => {
      const rows = lane.segments.slice(0, MAX_ROWS).map((s, i) => {
        const mark = MARKS[s.arrival];
        return h('li', { class: `segment${mark ? ' marked' : ''}`, 'data-index': i, 'data-arrival': s.arrival },
          h('span', { class: 'pkt' }, `#${s.packet}`),
          h('span', { class: 't' }, `${s.t.toFixed(6)} s`),
          h('span', { class: 'seq' }, `seq ${s.seq}`),
          h('span', { class: 'len' }, `len ${num(s.len)}`),
          h('span', { class: 'flags' }, s.flags ? `[${s.flags}]` : ''),
          h('span', { class: 'mark' }, mark ? `${mark}${s.conflicts ? `, ${num(s.conflicts)} bytes differ (first kept)` : ''}` : ''),
          h('span', { class: 'delivered muted' }, s.delivered ? `+${num(s.delivered)} in order` : ''));
      });
      const more = lane.segments.length > MAX_ROWS ? h('li', { class: 'muted small' }, `… ${num(lane.segments.length - MAX_ROWS)} more segments`) : null;
      return h('section', { class: 'lane', 'data-direction': lane.direction },
        h('h3', {}, lane.direction === 'client' ? 'Client → server' : 'Server → client',
          h('span', { class: 'muted small' }, ` ${lane.from} → ${lane.to}`)),
        h('p', { class: 'status lane-status' }),
        h('h4', {}, `Segments (${num(lane.segments.length)})`),
        h('ol', { class: 'list segments' }, rows, more),
        h('h4', {}, 'Messages'),
        h('div', { class: 'list messages lane-messages' }));
    }));
  }

  /** Shows the stream after its first `step` packets. */
  go(step) {
    step = Math.max(0, Math.min(this.order.length, step));
    this.step = step;
    this.scrub.value = String(step);
    const counts = { client: 0, server: 0 };
    for (const { direction } of this.order.slice(0, step)) counts[direction]++;
    const last = step ? this.order[step - 1] : null;
    $('#capture-step').textContent = last
      ? `packet ${step} of ${this.order.length}: ${last.direction === 'client' ? 'client → server' : 'server → client'}, segment ${last.segment + 1}`
      : `before the first of ${this.order.length} packets`;
    for (const lane of this.lanes) {
      const root = $(`.lane[data-direction=${lane.direction}]`);
      const arrived = counts[lane.direction];
      for (const row of root.querySelectorAll('.segment')) {
        const i = Number(row.dataset.index);
        row.classList.toggle('arrived', i < arrived);
        row.classList.toggle('current', last?.direction === lane.direction && i === last.segment);
      }
      this.showDecoder(lane, root, arrived);
    }
  }

  showDecoder(lane, root, arrived) {
    const status = $('.lane-status', root);
    const messages = $('.lane-messages', root);
    if (!lane.timeline) {
      status.replaceChildren(h('span', { class: 'err' }, `✗ ${lane.gap}`));
      messages.replaceChildren();
      return;
    }
    const state = lane.timeline.state(Math.min(arrived, lane.timeline.chunks));
    const parts = [h('span', {}, `${num(state.received)} bytes in order, ${num(state.messages)} messages`)];
    if (state.error) parts.push(h('span', { class: 'err' }, ` ✗ ${state.error.message}`));
    else if (state.waiting && state.received) parts.push(h('span', { class: 'wait' }, ` — waiting for ${state.waiting.text}`));
    const done = arrived >= lane.segments.length;
    if (lane.gap && done) parts.push(h('span', { class: 'err' }, ` ✗ ${lane.gap}`));
    status.replaceChildren(...parts);
    const shown = lane.timeline.messages(Math.max(0, state.messages - 200), state.messages, 48);
    messages.replaceChildren(...shown.map((m) => h('div', { class: 'msg' },
      h('span', { class: 'muted' }, `#${m.index + 1} `),
      h('code', {}, m.raw),
      m.body_len ? h('span', { class: 'muted' }, ` + ${size(m.body_len)} body`) : '')));
  }
}
