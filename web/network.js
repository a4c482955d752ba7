// The network panel: how the stream is cut into the chunks recv() returns. It only collects
// the learner's choice; core's Cut reads the spec and cuts.
import { $, h } from './dom.js';
import { CUT_KINDS } from './state.js';

export class NetworkPanel {
  /** @param {{onChange: () => void}} handlers */
  constructor({ onChange }) {
    this.root = $('#cuts');
    this.result = $('#cut-result');
    this.onChange = onChange;
  }

  /** Draws the choices for `cut` (edited in place); `source` limits them. */
  render(cut, source) {
    this.cut = cut;
    this.source = source;
    const fixed = source === 'trace';
    const options = CUT_KINDS.filter((k) => !(k.composeOnly && source !== 'compose'));
    if (fixed) {
      this.root.replaceChildren(h('p', { class: 'hint' },
        'A trace replays the chunks exactly as the socket returned them: this stream was cut by the real network.'));
      return;
    }
    if (!options.some((k) => k.kind === cut.kind)) cut.kind = 'sent';
    this.root.replaceChildren(...options.map((k) => this.option(k)));
  }

  option(k) {
    const cut = this.cut;
    const checked = cut.kind === k.kind;
    const radio = h('input', { type: 'radio', name: 'cut', value: k.kind, checked });
    radio.addEventListener('change', () => {
      cut.kind = k.kind;
      this.mark();
      this.onChange();
    });
    const param = (key, label, width) => {
      const input = h('input', { class: 'param mono', value: cut[key], size: width, 'aria-label': `${k.label}: ${label}`, spellcheck: false });
      input.addEventListener('input', () => {
        cut[key] = input.value.trim();
        if (cut.kind !== k.kind) {
          cut.kind = k.kind;
          radio.checked = true;
          this.mark();
        }
        this.onChange();
      });
      return input;
    };
    const help = [k.help];
    if (k.param === 'seed') help.push(' seed ', param('seed', 'seed', 4), ' max ', param('max', 'max', 3));
    else if (k.param) help.push(' ', param(k.param, k.unit, k.kind === 'reads' ? 7 : 5), ` ${k.unit}`);
    const quick = (k.quick || []).map(([label, value]) =>
      h('button', {
        class: 'chip',
        onclick: (event) => {
          event.preventDefault();
          cut.reads = value;
          cut.kind = 'reads';
          this.render(cut, this.source);
          this.onChange();
        },
      }, label));
    return h('div', { class: `cut-opt${checked ? ' on' : ''}` },
      h('label', { class: 'cut-name' }, radio, h('b', {}, k.label)),
      h('div', { class: 'cut-help' }, help, quick.length ? h('span', { class: 'quick' }, quick) : null));
  }

  /** Highlights the chosen option. */
  mark() {
    for (const option of this.root.querySelectorAll('.cut-opt')) {
      option.classList.toggle('on', option.querySelector('input[type=radio]').checked);
    }
  }

  /** Shows what core made of the choice: the spec in normal form and the chunk count, or the error. */
  showResult(text, isError) {
    this.result.textContent = text;
    this.result.classList.toggle('err', Boolean(isError));
  }
}
