// The page's scenario state, its defaults, and its form in the URL (#s=base64url(JSON)).
// The state holds only what the learner chose; every protocol rule is applied by core, and
// core's own defaults (the framing options, the demo's sends) come from WebAssembly.

/** @typedef {import('./pkg/seam_wasm.js').Framing} Framing */
/** @typedef {import('./pkg/seam_wasm.js').SendSpec} SendSpec */
/** @typedef {import('./pkg/seam_wasm.js').SampleSize} SampleSize */

/**
 * The learner's choice of cut: its kind and every kind's parameter (kept when switching).
 * @typedef {{kind: string, merge: string, split: string, reads: string, seed: string, max: string}} CutChoice
 */

/**
 * @typedef {object} PageState
 * @property {string} source compose, trace, capture or sample
 * @property {Framing} framing
 * @property {SendSpec[]} sends
 * @property {CutChoice} cut
 * @property {number[]} cuts the manual cut's offsets
 * @property {number} step -1: the last step
 * @property {SampleSize} sample
 * @property {{body: number, buffer: number}} udp
 */

export const CUT_KINDS = [
  { kind: 'sent', label: 'As sent', help: 'one chunk per send()' },
  { kind: 'merge', label: 'Merged (Nagle)', help: 'small sends coalesced into segments of up to', param: 'merge', unit: 'bytes' },
  { kind: 'split', label: 'Split at MSS', help: 'each send split into pieces of at most', param: 'split', unit: 'bytes' },
  { kind: 'reads', label: 'Fixed reads', help: 'recv(N) calls in turn:', param: 'reads', unit: 'bytes', quick: [['recv(1024)', '1024'], ['recv(4), recv(5)', '4,5']] },
  { kind: 'random', label: 'Random', help: 'chunk lengths from 1 to max, reproducible:', param: 'seed', param2: 'max' },
  { kind: 'bytes', label: 'One byte at a time', help: 'the worst a network may do' },
  { kind: 'manual', label: 'Manual', help: 'click a byte on the tape to cut before it', composeOnly: true },
];

/**
 * The cut spec core reads (`merge:90`, `reads:4,5`, ...), or `manual`.
 * @param {CutChoice} cut
 * @returns {string}
 */
export function cutSpec(cut) {
  switch (cut.kind) {
    case 'merge': return `merge:${cut.merge}`;
    case 'split': return `split:${cut.split}`;
    case 'reads': return `reads:${cut.reads}`;
    case 'random': return `random:${cut.seed}:${cut.max}`;
    default: return cut.kind;
  }
}

/**
 * The page's first state, around core's defaults.
 * @param {{framing: Framing, sends: SendSpec[], sample: SampleSize}} core `framingDefaults()`,
 *   the demo preset and `sampleDefaults()`
 * @returns {PageState}
 */
export function defaultState({ framing, sends, sample }) {
  return {
    source: 'compose',
    framing,
    sends,
    cut: { kind: 'merge', merge: '90', split: '16', reads: '1024', seed: '7', max: '16' },
    cuts: [],
    step: -1, // -1: the last step
    sample,
    udp: { body: 1971, buffer: 1024 },
  };
}

const SHARED = ['source', 'framing', 'sends', 'cut', 'cuts', 'step', 'sample', 'udp'];

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/**
 * The state as a URL hash. A trace is not part of it (it can be large); its source reverts to compose.
 * @param {PageState} state
 */
export function toHash(state) {
  const shared = {};
  for (const key of SHARED) shared[key] = state[key];
  if (shared.source === 'trace' || shared.source === 'capture') shared.source = 'compose';
  return `#s=${toBase64Url(JSON.stringify(shared))}`;
}

/**
 * The state from a URL hash, over the defaults; null when there is none or it is unreadable.
 * @param {string} hash
 * @param {PageState} defaults
 * @returns {PageState | null}
 */
export function fromHash(hash, defaults) {
  const match = /^#s=([A-Za-z0-9_-]+)$/.exec(hash);
  if (!match) return null;
  try {
    const shared = JSON.parse(fromBase64Url(match[1]));
    const state = structuredClone(defaults);
    for (const key of SHARED) {
      if (!(key in shared)) continue;
      const value = shared[key];
      state[key] = value && typeof value === 'object' && !Array.isArray(value) ? { ...state[key], ...value } : value;
    }
    return state;
  } catch {
    return null;
  }
}
