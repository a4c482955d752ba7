// The large-stream panel: core builds a sample stream of many small frames in wasm, decodes
// it into a timeline in one go, and times core's plain decoding loop on the same bytes.
import { $, h, num } from './dom.js';

export class SamplePanel {
  /** @param {{onBuild: () => void}} handlers */
  constructor({ onBuild }) {
    this.frames = $('#sample-frames');
    this.bytes = $('#sample-bytes');
    this.stats = $('#sample-stats');
    $('#sample-build').addEventListener('click', () => onBuild());
  }

  /** Binds the inputs to `sample` ({frames, bytes}, edited in place). */
  bind(sample) {
    this.frames.value = sample.frames;
    this.bytes.value = sample.bytes;
    this.frames.addEventListener('input', () => (sample.frames = Math.max(1, Number(this.frames.value) || 1)));
    this.bytes.addEventListener('input', () => (sample.bytes = Math.max(1, Number(this.bytes.value) || 1)));
  }

  /**
   * Times core's decode_tally over the timeline's bytes (64 KiB reads), best of `runs`.
   * @param {import('./pkg/seam_wasm.js').Timeline} timeline
   */
  measure(timeline, runs = 7) {
    let best = Infinity;
    /** @type {import('./pkg/seam_wasm.js').TallyView | null} */
    let tally = null;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      tally = timeline.tally();
      best = Math.min(best, performance.now() - started);
    }
    return { ms: best, mbps: timeline.length / 1e6 / (best / 1e3), tally };
  }

  show({ buildMs, chunks, length, frames, measured }) {
    this.stats.dataset.mbps = measured.mbps.toFixed(1);
    this.stats.dataset.bytes = String(length);
    this.stats.dataset.frames = String(measured.tally.frames);
    const row = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
    this.stats.replaceChildren(
      ...row('stream', `${num(length)} bytes, ${num(frames)} frames, ${num(chunks)} chunks`),
      ...row('built and replayed', `${buildMs.toFixed(0)} ms (every event of every chunk recorded)`),
      ...row('decode throughput', `${measured.mbps.toFixed(0)} MB/s (decode_tally, 64 KiB reads, best of 7: ${measured.ms.toFixed(1)} ms)`),
    );
  }

  showError(message) {
    this.stats.replaceChildren(h('dd', { class: 'err' }, `✗ ${message}`));
  }
}
