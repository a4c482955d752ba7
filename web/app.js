// Seam's page: wires the panels together. Every byte is framed, cut, decoded and judged by
// seam-core compiled to WebAssembly (web/pkg, built by web/build.sh); this file only keeps
// the learner's choices and tells the panels what to draw.
import init, * as wasm from './pkg/seam_wasm.js';
import { $, debounce, num } from './dom.js';
import { CUT_KINDS, cutSpec, defaultState, fromHash, toHash } from './state.js';
import { SenderPanel } from './sender.js';
import { NetworkPanel } from './network.js';
import { Tape, chunkAt } from './tape.js';
import { NaivePane } from './naive.js';
import { DecoderPane } from './decoder.js';
import { Player, stepText } from './player.js';
import { UdpPanel } from './udp.js';
import { TracePanel } from './trace.js';
import { SamplePanel } from './sample.js';

// Marks for the first-load test's breakdown (web/tests/e2e.test.js): modules loaded, wasm
// ready, first scenario built and drawn.
performance.mark('seam:modules');
try {
  await init();
  performance.mark('seam:wasm');
} catch (error) {
  const fatal = $('#fatal');
  fatal.hidden = false;
  fatal.textContent = `Could not load the WebAssembly module (web/pkg, built by web/build.sh): ${error.message}`;
  throw error;
}

const defaults = defaultState({
  framing: wasm.framingDefaults(),
  sends: wasm.preset('demo') ?? [],
  sample: wasm.sampleDefaults(),
});
const state = fromHash(location.hash, defaults) ?? structuredClone(defaults);

/** @type {wasm.Timeline | null} */
let timeline = null;
/** @type {Float64Array} */
let ends = new Float64Array();
/** @type {wasm.Trace | null} */
let trace = null;
let traceIndex = 0;
let traceWrites = false; // the traced stream chosen is what the socket wrote, not read

const chunks = (n) => `${num(n)} chunk${n === 1 ? '' : 's'}`;
const saveHash = debounce(() => history.replaceState(null, '', toHash(state)), 250);

const sender = new SenderPanel({
  presets: wasm.presets(),
  preset: (name) => wasm.preset(name),
  onEdit: debounce(() => rebuild({ keepStep: true }), 150),
  onStructure: () => {
    sender.render(state.sends);
    rebuild({ keepStep: false });
  },
});
const network = new NetworkPanel({
  onChange: debounce(() => {
    tape.setManual(state.source === 'compose' && state.cut.kind === 'manual');
    rebuild({ keepStep: false });
  }, 150),
});
const tape = new Tape($('#tape'), {
  onPick: (offset, manual) => {
    if (!manual) {
      player.go(chunkAt(ends, offset) + 1);
      return;
    }
    if (offset === 0) return;
    const at = state.cuts.indexOf(offset);
    if (at >= 0) state.cuts.splice(at, 1);
    else state.cuts.push(offset);
    rebuild({ keepStep: true });
  },
});
const naive = new NaivePane($('#naive-summary'), $('#naive-list'));
const decoder = new DecoderPane($('#status'), $('#events'), $('#messages'));
const player = new Player({
  onStep: show,
  describe: (step) => {
    const start = step > 1 ? ends[step - 2] : 0;
    const written = state.source === 'trace' && traceWrites;
    return stepText(step, timeline?.chunks ?? 0, { start, end: step ? ends[step - 1] : 0 }, written);
  },
});
const udp = new UdpPanel(wasm);
const traces = new TracePanel(wasm, {
  onLoad: (loaded) => {
    trace = loaded;
    setSource('trace', { build: false });
  },
  onPick: (index, stream) => {
    traceIndex = index;
    traceWrites = stream.dir === 'out';
    rebuild({ keepStep: false, end: true });
  },
  onCaptureFile: (file) => {
    // A capture by its name; its bytes are core's to judge.
    if (!/\.(pcap|pcapng|cap)$/i.test(file.name)) return false;
    captures().then((panel) => panel.readFile(file));
    return true;
  },
});
// The capture panel is loaded on first use: it is not part of the page's first load.
/** @type {Promise<import('./capture.js').CapturePanel> | null} */
let capturePanel = null;
function captures() {
  capturePanel ??= import('./capture.js').then(({ CapturePanel }) => new CapturePanel(wasm, {
    framing: () => state.framing,
    onLoad: () => setSource('capture', { build: false }),
  }));
  return capturePanel;
}
$('#capture-file').addEventListener('change', async (event) => {
  const [file] = event.target.files;
  if (file) (await captures()).readFile(file);
});
$('#capture-sample').addEventListener('click', async () => (await captures()).loadSample());
const sample = new SamplePanel({ onBuild: () => rebuild({ keepStep: false }) });

/** Makes a new timeline from the current source and choices, and shows it. */
function rebuild({ keepStep = false, end = false } = {}) {
  const spec = cutSpec(state.cut);
  /** @type {wasm.Timeline | undefined} */
  let next;
  let buildMs = 0;
  try {
    if (state.source === 'compose') {
      next = wasm.Timeline.scenario({ framing: state.framing, sends: state.sends, cut: spec, cuts: state.cuts });
    } else if (state.source === 'sample') {
      const started = performance.now();
      next = wasm.Timeline.sample(state.sample.frames, state.sample.bytes, spec);
      buildMs = performance.now() - started;
    } else if (trace) {
      next = trace.timeline(traceIndex, state.framing);
    }
  } catch (error) {
    network.showResult(`✗ ${error.message}`, true);
    if (state.source === 'sample') sample.showError(error.message);
    return;
  }
  if (!next) {
    network.showResult('Open a trace file to replay it.', false);
    return;
  }
  const previous = player.step;
  if (timeline) timeline.free();
  timeline = next;
  ends = timeline.chunkEnds();
  if (state.source === 'trace') {
    network.showResult(`${chunks(timeline.chunks)}, as traced`, false);
  } else if (state.cut.kind === 'manual') {
    const n = state.cuts.length;
    network.showResult(`manual: cut at ${n} offset${n === 1 ? '' : 's'} → ${chunks(timeline.chunks)}`, false);
  } else {
    network.showResult(`seam decode --cut ${wasm.normalizeCut(spec)} → ${chunks(timeline.chunks)}`, false);
  }
  if (state.source === 'compose') sender.showEncoded(timeline.sends());
  tape.setTimeline(timeline, ends);
  naive.setTimeline(timeline);
  decoder.setTimeline(timeline);
  let step;
  if (keepStep) step = Math.min(previous, timeline.chunks);
  else if (end || state.step < 0) step = timeline.chunks;
  else step = Math.min(state.step, timeline.chunks);
  state.step = -1;
  player.reset(timeline.chunks, step);
  if (state.source === 'sample') {
    const measured = sample.measure(timeline);
    sample.show({ buildMs, chunks: timeline.chunks, length: timeline.length, frames: timeline.sentMessages, measured });
  }
}

/** Shows step `step` of the timeline in every pane. */
function show(step) {
  if (!timeline) return;
  const now = timeline.state(step);
  // The tape follows the decoder's position, or shows where it failed.
  tape.setStep(step, now.position, now.error && now.error.kind !== 'truncated' ? now.error.offset : now.position);
  naive.setStep(step, now);
  decoder.setStep(step, now);
  state.step = step === timeline.chunks ? -1 : step;
  saveHash();
}

function setSource(source, { build = true } = {}) {
  state.source = source;
  for (const tab of document.querySelectorAll('[data-source]')) {
    if (!(tab instanceof HTMLElement)) continue;
    tab.setAttribute('aria-selected', String(tab.dataset.source === source));
  }
  $('#sender').hidden = source !== 'compose';
  $('#trace-panel').hidden = source !== 'trace';
  $('#sample-panel').hidden = source !== 'sample';
  $('#capture-panel').hidden = source !== 'capture';
  $('#capture-lanes').hidden = source !== 'capture';
  document.body.dataset.source = source;
  network.render(state.cut, source);
  tape.setManual(source === 'compose' && state.cut.kind === 'manual');
  if (build) rebuild({ keepStep: false, end: true });
  saveHash();
}

function bindFraming() {
  const f = state.framing;
  const order = $('#byte-order');
  const fields = $('#size-fields');
  const maxHeader = $('#max-header');
  const maxBody = $('#max-body');
  order.value = f.byte_order;
  fields.value = (f.size_fields ?? []).join(', ');
  maxHeader.value = f.max_header_len;
  maxBody.value = f.max_body_len;
  const changed = debounce(() => {
    f.byte_order = order.value;
    f.size_fields = fields.value.split(',').map((s) => s.trim()).filter(Boolean);
    f.max_header_len = Math.max(1, Math.min(2 ** 32 - 1, Number(maxHeader.value) || 1));
    f.max_body_len = Math.max(0, Math.min(2 ** 53 - 1, Number(maxBody.value) || 0));
    udp.render(f);
    capturePanel?.then((panel) => panel.refresh());
    rebuild({ keepStep: true });
  }, 150);
  for (const input of [order, fields, maxHeader, maxBody]) input.addEventListener('input', changed);
}

for (const tab of document.querySelectorAll('[data-source]')) {
  if (tab instanceof HTMLElement) tab.addEventListener('click', () => setSource(tab.dataset.source));
}
$('#share').addEventListener('click', async () => {
  history.replaceState(null, '', toHash(state));
  const button = $('#share');
  try {
    await navigator.clipboard.writeText(location.href);
    button.textContent = 'Link copied';
  } catch {
    button.textContent = 'Link in the address bar';
  }
  setTimeout(() => (button.textContent = 'Copy link'), 2000);
});

if (!CUT_KINDS.some((k) => k.kind === state.cut.kind)) state.cut.kind = 'sent';
sender.render(state.sends);
bindFraming();
sample.bind(state.sample);
udp.bind(state.udp, saveHash);
setSource(['trace', 'capture'].includes(state.source) ? 'compose' : state.source, { build: false });
rebuild({ keepStep: false });
performance.mark('seam:built');
document.body.dataset.ready = 'true';
// The UDP panel is below the fold: drawn after the first frame, not before it.
requestAnimationFrame(() => setTimeout(() => udp.render(state.framing)));
