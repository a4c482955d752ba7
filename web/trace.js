// Real traffic: a trace file written by `seam ... --trace FILE`, opened with the file picker
// or dropped on the page. Core reads it (Trace) and splits it into one stream per connection
// and direction; this module lists them and lets the learner pick one.
import { $, h, num, size } from './dom.js';

export class TracePanel {
  /**
   * @param {typeof import('./pkg/seam_wasm.js')} wasm the page's module
   * @param {object} handlers
   * @param {(trace: import('./pkg/seam_wasm.js').Trace) => void} handlers.onLoad
   * @param {(index: number, stream: import('./pkg/seam_wasm.js').TraceStreamView) => void} handlers.onPick
   * @param {(file: File) => boolean} handlers.onCaptureFile true when the file is a capture it took
   */
  constructor(wasm, { onLoad, onPick, onCaptureFile }) {
    this.wasm = wasm;
    this.onCaptureFile = onCaptureFile;
    this.onLoad = onLoad;
    this.onPick = onPick;
    /** @type {import('./pkg/seam_wasm.js').Trace | null} */
    this.trace = null;
    this.status = $('#trace-status');
    this.list = $('#trace-streams');
    $('#trace-file').addEventListener('change', (event) => {
      const [file] = event.target.files;
      if (file) this.readFile(file);
    });
    document.addEventListener('dragover', (event) => {
      event.preventDefault();
      document.body.classList.add('dragging');
    });
    document.addEventListener('dragleave', (event) => {
      if (!event.relatedTarget) document.body.classList.remove('dragging');
    });
    document.addEventListener('drop', (event) => {
      event.preventDefault();
      document.body.classList.remove('dragging');
      const [file] = event.dataTransfer?.files ?? [];
      if (file && this.onCaptureFile?.(file)) return;
      if (file) this.readFile(file);
    });
  }

  async readFile(file) {
    this.load(await file.text(), file.name);
  }

  /** Reads a trace's text with core; on success picks its largest stream. */
  load(text, name) {
    let trace;
    try {
      trace = new this.wasm.Trace(text);
    } catch (error) {
      this.status.textContent = `✗ ${name}: ${error.message}`;
      this.status.classList.add('err');
      return;
    }
    if (this.trace) this.trace.free();
    this.trace = trace;
    const streams = trace.streams();
    this.status.classList.remove('err');
    this.status.textContent = `${name}: ${streams.length} stream${streams.length === 1 ? '' : 's'}`;
    let largest = 0;
    streams.forEach((s, i) => {
      if (s.bytes > streams[largest].bytes) largest = i;
    });
    this.onLoad(trace);
    this.renderStreams(streams, largest);
    if (streams.length) this.onPick(largest, streams[largest]);
  }

  renderStreams(streams, chosen) {
    this.list.replaceChildren(...streams.map((s, i) => {
      const radio = h('input', { type: 'radio', name: 'trace-stream', value: i, checked: i === chosen });
      radio.addEventListener('change', () => this.onPick(i, s));
      const way = s.dir === 'in' ? 'read from the socket (recv)' : 'written to the socket (send)';
      return h('label', { class: 'stream-opt' }, radio,
        h('span', {}, h('b', {}, `connection ${s.conn}, ${s.dir}`), ` — ${way}`),
        h('span', { class: 'muted small' }, `${num(s.chunks)} chunks, ${size(s.bytes)}`));
    }));
  }
}
