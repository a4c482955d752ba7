// Time: which step is shown (how many chunks have arrived), stepping, playing, speed, and
// the keyboard (←/→ step, space play/pause, Home/End).
import { $, num } from './dom.js';

export class Player {
  /** @param {{onStep: (step: number) => void, describe: (step: number) => string}} handlers */
  constructor({ onStep, describe }) {
    this.onStep = onStep;
    this.describe = describe;
    this.step = 0;
    this.last = 0;
    this.timer = 0;
    this.scrub = $('#scrub');
    this.playButton = $('#play');
    $('#first').addEventListener('click', () => this.go(0));
    $('#back').addEventListener('click', () => this.go(this.step - 1));
    $('#forward').addEventListener('click', () => this.go(this.step + 1));
    $('#last').addEventListener('click', () => this.go(this.last));
    this.playButton.addEventListener('click', () => this.toggle());
    this.scrub.addEventListener('input', () => this.go(Number(this.scrub.value), { keepPlaying: true }));
    $('#speed').addEventListener('change', () => {
      if (this.timer) this.start();
    });
    document.addEventListener('keydown', (event) => this.key(event));
  }

  key(event) {
    const target = event.target;
    if (target.closest && target.closest('input, textarea, select, [contenteditable]')) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const actions = {
      ArrowLeft: () => this.go(this.step - 1),
      ArrowRight: () => this.go(this.step + 1),
      ' ': () => this.toggle(),
      Home: () => this.go(0),
      End: () => this.go(this.last),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  /** A new timeline with `last` steps; shows `step`. */
  reset(last, step) {
    this.last = last;
    this.scrub.max = String(last);
    this.go(step, { keepPlaying: false });
  }

  go(step, { keepPlaying = false } = {}) {
    if (!keepPlaying) this.pause();
    this.step = Math.max(0, Math.min(this.last, step));
    this.scrub.value = String(this.step);
    $('#step-label').textContent = this.describe(this.step);
    $('#back').disabled = this.step === 0;
    $('#first').disabled = this.step === 0;
    $('#forward').disabled = this.step === this.last;
    $('#last').disabled = this.step === this.last;
    this.onStep(this.step);
  }

  toggle() {
    if (this.timer) this.pause();
    else this.play();
  }

  play() {
    if (this.step >= this.last) this.go(0);
    this.start();
  }

  start() {
    clearInterval(this.timer);
    const perSecond = Number($('#speed').value);
    this.timer = setInterval(() => {
      if (this.step >= this.last) this.pause();
      else this.go(this.step + 1, { keepPlaying: true });
    }, 1000 / perSecond);
    this.playButton.innerHTML = '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 2h4v12H3zM9 2h4v12H9z"/></svg><span>Pause</span>';
    this.playButton.setAttribute('aria-label', 'Pause');
  }

  pause() {
    clearInterval(this.timer);
    this.timer = 0;
    this.playButton.innerHTML = '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 2v12l9-6z"/></svg><span>Play</span>';
    this.playButton.setAttribute('aria-label', 'Play');
  }
}

/** The time line's caption; `written` for a traced stream of writes (send() calls). */
export const stepText = (step, last, span, written = false) =>
  step === 0
    ? `Step 0 of ${num(last)}: nothing has arrived yet.`
    : `Step ${num(step)} of ${num(last)}: ${written ? 'send() wrote' : 'recv() returned'} chunk ${num(step)}, bytes ${num(span.start)}–${num(span.end)} (${num(span.end - span.start)} B)${step === last ? '; then the stream ended.' : '.'}`;
