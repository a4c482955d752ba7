// The page build's bindings (web/pkg) in Node: each export the page calls hands core's answers
// to JavaScript in the shapes web/pkg/seam_wasm.d.ts declares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEB, loadWasm } from './wasm.js';

const wasm = await loadWasm(join(WEB, 'pkg'));
const echo = Uint8Array.from([22, 0, 0, 0, ...new TextEncoder().encode('{"op":"echo","size":5}hello')]);

test('the framing defaults are core\'s', () => {
  assert.deepEqual(wasm.framingDefaults(), {
    byte_order: 'little',
    size_fields: ['size', 'filesize', 'data_size', 'len'],
    max_header_len: 65536,
    max_body_len: 2 ** 40,
  });
});

test('the large-stream panel\'s defaults are the native measurement\'s', () => {
  assert.deepEqual(wasm.sampleDefaults(), { frames: 100000, bytes: 10000000 });
});

test('presets, their sends, and the sends encoded', () => {
  const presets = wasm.presets();
  assert.ok(presets.length >= 10);
  assert.deepEqual(Object.keys(presets[0]), ['name', 'description']);
  assert.equal(wasm.preset('no such preset'), undefined);
  const [put, data, end] = wasm.encodeSends(wasm.preset('file'));
  assert.ok(!('error' in put) && !('error' in data) && !('error' in end));
  assert.match(put.header_text, /"total":31/);
  assert.equal(data.body_len, 31);
  assert.ok(data.bytes instanceof Uint8Array);
  assert.match(end.header_text, /"md5":"[0-9a-f]{32}"/);
  const [refused] = wasm.encodeSends([{ header: 'not json' }]);
  assert.deepEqual(Object.keys(refused), ['error']);
  assert.ok('error' in refused);
  assert.match(refused.error, /JSON/);
});

test('bad inputs are refused with what was wrong', () => {
  assert.throws(() => wasm.encodeSends([{ mode: 'sideways' }]), /^Error: bad sends: unknown variant `sideways`/);
  assert.throws(() => wasm.recvfrom(echo, 10, { byte_order: 'sideways' }), /bad framing options: unknown variant `sideways`, expected `little` or `big`/);
  assert.throws(() => wasm.recvfrom(echo, 10, { max_header_len: -1 }), /bad framing options/);
  assert.throws(() => wasm.Timeline.scenario({ sends: 'many' }), /bad scenario/);
  assert.throws(() => wasm.Timeline.scenario({ cut: 'wobble' }), /bad cut "wobble"/);
  assert.throws(() => wasm.normalizeCut('wobble'), /bad cut "wobble"/);
});

test('missing fields take core\'s defaults and unknown ones are ignored', () => {
  const timeline = wasm.Timeline.scenario({ sends: [{ header: '{"op":"echo"}', body: 'hi', colour: 'red', describes: null }], cut: 'bytes', step: 3 });
  assert.equal(timeline.chunks, timeline.length);
  const [sent] = timeline.sends();
  assert.ok(!('error' in sent));
  assert.match(sent.header_text, /"size":2/);
});

test('a scenario\'s timeline shows any step without decoding again', () => {
  const timeline = wasm.Timeline.scenario({ sends: wasm.preset('echo'), cut: 'reads:4,5' });
  const first = timeline.state(1);
  assert.match(first.waiting.text, /^\d+ bytes of the header$/);
  assert.deepEqual(Object.keys(first), ['step', 'received', 'position', 'events', 'messages', 'waiting', 'error', 'ended', 'whole', 'merged', 'broken']);
  assert.equal(first.error, null);
  const last = timeline.state(timeline.chunks);
  assert.equal(last.messages, 1);
  assert.equal(last.waiting.part, 'length');
  const header = timeline.events(0, 10).find((e) => e.kind === 'header');
  assert.match(header.raw, /^\{"op":"echo"/);
  assert.equal(timeline.messages(0, 1, 3)[0].body_preview.length, 3);
  assert.deepEqual(timeline.naive(0, 2).map((r) => r.verdict), ['broken', 'broken']);
  assert.deepEqual([...timeline.roles(1, 0, 6)], [1, 1, 1, 1, 0, 0]);
  assert.equal(timeline.bytes(0, 4).length, 4);
});

test('the large stream and its tally', () => {
  const sample = wasm.Timeline.sample(1000, 100000, 'reads:4096');
  assert.equal(sample.length, 100000);
  assert.deepEqual(Object.keys(sample.tally()), ['frames', 'events', 'body_bytes']);
  assert.equal(sample.tally().frames, 1000);
});

test('recvfrom: a short buffer loses the rest and the frame is truncated', () => {
  const whole = wasm.recvfrom(echo, 65535);
  assert.deepEqual(whole, { received: 31, lost: 0, frame: { raw_header: '{"op":"echo","size":5}', body_len: 5 }, error: null });
  const cut = wasm.recvfrom(echo, 20);
  assert.deepEqual([cut.received, cut.lost, cut.frame, cut.error.kind, cut.error.offset], [20, 11, null, 'truncated', 20]);
});

test('a trace becomes streams, each a timeline of the chunks the socket returned', () => {
  const text = '{"conn":1,"dir":"in","t":0.5,"offset":0,"data":"FgAAAA=="}\n';
  const trace = new wasm.Trace(text);
  assert.deepEqual(trace.streams(), [{ conn: 1, dir: 'in', chunks: 1, bytes: 4, start_t: 0.5, end_t: 0.5 }]);
  assert.equal(trace.timeline(0).chunks, 1);
  assert.throws(() => trace.timeline(1), /no stream #1/);
  assert.throws(() => new wasm.Trace('{"dir":"in"}'), /trace line 1/);
});

test('a capture lists its streams, each lane its segments, and a lane replays as a timeline', () => {
  const file = readFileSync(join(WEB, 'samples', 'seam-session.pcap'));
  const capture = new wasm.Capture(file);
  const streams = capture.streams();
  assert.equal(streams.length, 3);
  assert.deepEqual(Object.keys(streams[0]), ['index', 'client', 'server', 'packets', 'bytes', 'segments', 'start_t', 'end_t']);
  const segments = capture.segments(0, 'client');
  assert.equal(segments.length, streams[0].segments.client);
  assert.equal(segments[0].flags, 'SYN');
  assert.equal(segments.reduce((n, s) => n + s.delivered, 0), streams[0].bytes.client);
  assert.deepEqual(segments.filter((s) => s.arrival !== 'in_order').map((s) => [s.len, s.arrival]), [[61, 'retransmission']]);
  assert.equal(capture.laneError(0, 'client'), undefined);
  const order = capture.order(0);
  assert.equal(order.length, streams[0].packets);
  assert.deepEqual(order[0], { direction: 'client', segment: 0 });
  const timeline = capture.timeline(0, 'client');
  assert.equal(timeline.chunks, segments.length);
  assert.equal(timeline.length, streams[0].bytes.client);
  assert.equal(timeline.state(timeline.chunks).messages, 4);
  assert.throws(() => capture.segments(0, 'sideways'), /bad direction: unknown variant `sideways`, expected `client` or `server`/);
  assert.throws(() => capture.segments(9, 'client'), /no stream #9/);
  assert.throws(() => new wasm.Capture(new Uint8Array([1, 2, 3, 4, 5])), /not a pcap or pcapng file \(it starts with 0x01020304\)/);
});
