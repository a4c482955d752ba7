// The page build's bindings (web/pkg) in Node: each hands core's answers to JavaScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEB, loadWasm } from './wasm.js';

const wasm = await loadWasm(join(WEB, 'pkg'));
const echo = Uint8Array.from([22, 0, 0, 0, ...new TextEncoder().encode('{"op":"echo","size":5}hello')]);

test('the decoder reports events, its wait and its position chunk by chunk', () => {
  const decoder = new wasm.Decoder();
  const first = decoder.feed(echo.subarray(0, 2));
  assert.deepEqual(first.events, []);
  assert.equal(first.waiting.text, '2 more bytes of the length prefix');
  assert.equal(first.position, 2);
  const second = decoder.feed(echo.subarray(2, 29));
  assert.deepEqual(second.events.map((e) => e.kind), ['length', 'header', 'body']);
  assert.equal(second.events[1].raw, '{"op":"echo","size":5}');
  assert.deepEqual(second.events[1].header, { op: 'echo', size: 5 });
  assert.equal(second.events[2].len, 3);
  assert.deepEqual(second.waiting, { part: 'body', received: 3, missing: 2, text: '2 more bytes of the body' });
  assert.throws(() => decoder.finish(), (error) => error instanceof Error && error.kind === 'truncated' && error.offset === 29);
  assert.equal(decoder.position, 29);
});

test('a decoder error is final and structured', () => {
  const decoder = new wasm.Decoder({ byte_order: 'big' });
  const result = decoder.feed(echo);
  assert.equal(result.error.kind, 'header_length_over_limit');
  assert.equal(result.error.offset, 0);
  assert.match(result.error.message, /over the limit/);
  assert.equal(decoder.feed(new Uint8Array([1])).error.kind, 'header_length_over_limit');
  assert.throws(() => new wasm.Decoder({ byte_order: 'sideways' }), /bad framing options/);
});

test('the encoder returns the bytes and the lengths of their parts', () => {
  const frame = wasm.encode({ op: 'echo', size: 5 }, new TextEncoder().encode('hello'));
  assert.deepEqual([...frame.bytes], [...echo]);
  assert.deepEqual([frame.prefix_len, frame.header_len, frame.body_len], [4, 22, 5]);
  assert.throws(() => wasm.encode('{"op":"echo","size":4}', new Uint8Array(5)), /declares a 4-byte body but 5/);
});

test('sends, presets and cuts come from core', () => {
  const [put, data, end] = wasm.encodeSends(wasm.preset('file'));
  assert.match(put.header_text, /"total":31/);
  assert.equal(data.body_len, 31);
  assert.match(end.header_text, /"md5":"[0-9a-f]{32}"/);
  assert.deepEqual([...wasm.cutLengths('reads:4,5', [31])], [4, 5, 4, 5, 4, 5, 4]);
  assert.deepEqual([...wasm.cutLengths('merge:100', [35, 49, 31])], [84, 31]);
  assert.equal(wasm.normalizeCut('random:7'), 'random:7:64');
  assert.throws(() => wasm.cutLengths('wobble', [1]), /bad cut "wobble"/);
  assert.ok(wasm.presets().length >= 10);
});

test('the naive reader, datagrams and traces', () => {
  const reads = wasm.naiveReads([10, 10, 10], [20, 5, 5]);
  assert.deepEqual(reads.map((r) => r.verdict), ['merged', 'broken', 'broken']);
  assert.deepEqual(wasm.decodeDatagram(echo).header, { op: 'echo', size: 5 });
  assert.throws(() => wasm.decodeDatagram(echo.subarray(0, 20)), (e) => e.kind === 'truncated');
  const cut = wasm.recvfrom(echo, 20);
  assert.deepEqual([cut.received, cut.lost, cut.error.kind], [20, 11, 'truncated']);
  const trace = '{"conn":1,"dir":"in","t":0.5,"offset":0,"data":"FgAAAA=="}\n';
  const [chunk] = wasm.parseTrace(trace);
  assert.deepEqual([chunk.conn, chunk.dir, chunk.offset, [...chunk.data]], [1, 'in', 0, [22, 0, 0, 0]]);
  assert.throws(() => wasm.parseTrace('{"dir":"in"}'), /trace line 1/);
});

test('a timeline shows any step without decoding again', () => {
  const timeline = new wasm.Timeline(echo, [2, 20, 4, 5]);
  assert.equal(timeline.chunks, 4);
  assert.equal(timeline.state(1).waiting.text, '2 more bytes of the length prefix');
  assert.equal(timeline.state(4).messages, 1);
  assert.deepEqual([...timeline.roles(2, 20, 24)], [2, 2, 0, 0]);
  assert.equal(timeline.events(1, 2)[0].raw, '{"op":"echo","size":5}');
  assert.equal(timeline.messages(0, 1, 3)[0].body_preview, 'hel');
  const sample = wasm.Timeline.sample(1000, 100000, 'reads:4096');
  assert.equal(sample.length, 100000);
  assert.equal(sample.tally(65536).frames, 1000);
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
  assert.equal(capture.laneError(0, 'client'), null);
  const order = capture.order(0);
  assert.equal(order.length, streams[0].packets);
  assert.deepEqual(order[0], { direction: 'client', segment: 0 });
  const timeline = capture.timeline(0, 'client');
  assert.equal(timeline.chunks, segments.length);
  assert.equal(timeline.length, streams[0].bytes.client);
  assert.deepEqual([...timeline.times()], segments.map((s) => s.t));
  assert.equal(timeline.state(timeline.chunks).messages, 4);
  assert.throws(() => capture.segments(0, 'sideways'), /no direction `sideways`/);
  assert.throws(() => capture.segments(9, 'client'), /no stream #9/);
  assert.throws(() => new wasm.Capture(new Uint8Array([1, 2, 3, 4, 5])), /not a pcap or pcapng file \(it starts with 0x01020304\)/);
});
