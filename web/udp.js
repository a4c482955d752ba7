// UDP: a datagram keeps its boundaries, so it holds exactly one frame; but recvfrom(N)
// returns only N bytes of it and drops the rest. Core encodes the datagram and judges what
// was received (decode_datagram); this module only draws.
import { $, h, num } from './dom.js';

const FILL = 'A datagram is delivered whole or not at all. ';

export class UdpPanel {
  /** @param {typeof import('./pkg/seam_wasm.js')} wasm the page's module */
  constructor(wasm) {
    this.wasm = wasm;
    this.out = $('#udp-out');
    this.bodyInput = $('#udp-body');
    this.bufferInput = $('#udp-buffer');
  }

  /** Binds the inputs to `udp` ({body, buffer}, edited in place). */
  bind(udp, onChange) {
    this.udp = udp;
    this.bodyInput.value = udp.body;
    this.bufferInput.value = udp.buffer;
    const read = () => {
      udp.body = Math.max(0, Math.min(65000, Number(this.bodyInput.value) || 0));
      udp.buffer = Math.max(1, Math.min(65535, Number(this.bufferInput.value) || 1));
      this.render();
      onChange();
    };
    this.bodyInput.addEventListener('input', read);
    this.bufferInput.addEventListener('input', read);
  }

  /** @param {import('./pkg/seam_wasm.js').Framing} [framing] */
  render(framing) {
    if (framing) this.framing = framing;
    const { body, buffer } = this.udp;
    const text = FILL.repeat(Math.ceil(body / FILL.length) + 1).slice(0, body);
    // Core's echo preset with a longer body; core sets its size field.
    const [spec] = this.wasm.preset('echo') ?? [];
    spec.body = text;
    const [sent] = this.wasm.encodeSends([spec], this.framing);
    if ('error' in sent) {
      this.out.replaceChildren(h('p', { class: 'err' }, sent.error));
      return;
    }
    const total = sent.bytes.length;
    const got = this.wasm.recvfrom(sent.bytes, buffer, this.framing);
    const whole = this.wasm.recvfrom(sent.bytes, 65535, this.framing);
    const pct = (n) => `${((100 * n) / total).toFixed(3)}%`;
    const headerEnd = sent.prefix_len + sent.header_len;
    const bar = h('div', { class: 'dgram', role: 'img', 'aria-label': `datagram of ${total} bytes, ${got.received} received` },
      h('span', { class: 'seg role-1', style: `width:${pct(sent.prefix_len)}` }),
      h('span', { class: 'seg role-2', style: `width:${pct(sent.header_len)}` }),
      h('span', { class: 'seg role-3', style: `width:${pct(total - headerEnd)}` }),
      got.lost ? h('span', { class: 'lost', style: `left:${pct(got.received)};width:${pct(got.lost)}` }, h('b', {}, `${num(got.lost)} B lost`)) : null,
      h('span', { class: 'cutmark', style: `left:${pct(got.received)}` }));
    const verdict = (result, label) => result.error
      ? h('p', { class: 'err', 'data-kind': result.error.kind }, `${label}: ✗ ${result.error.message}`)
      : h('p', { class: 'ok' }, `${label}: ✓ one whole frame, ${result.frame.raw_header} + ${num(result.frame.body_len)} B body`);
    this.out.replaceChildren(
      h('p', { class: 'small' }, `sendto(): one datagram of ${num(total)} bytes — `,
        h('span', { class: 'mono' }, sent.header_text), ` + ${num(sent.body_len)} B body.`),
      bar,
      h('p', { class: 'small muted' }, `recvfrom(${num(buffer)}) returned ${num(got.received)} bytes; the kernel dropped the other ${num(got.lost)}.`),
      verdict(got, `decode_datagram(${num(got.received)} bytes)`),
      got.error ? verdict(whole, 'with recvfrom(65535), the largest a datagram can be') : null);
  }
}
