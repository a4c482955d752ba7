// The page in headless Chromium (Debian's, driven by playwright-core): a scenario of merged
// and split chunks, stepping, the manual cut, a real trace replayed, the large stream, and
// screenshots in target/e2e/. Prints the wasm decode throughput and module size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { serve } from './serve.js';
import { REPO, WEB } from './wasm.js';

const SHOTS = join(REPO, 'target', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
let server;
let browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await serve();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A new page at `hash`, ready, failing the test on any console error. */
async function open(t, { width = 1280, height = 800, hash = '' } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  t.after(async () => {
    await page.close();
    assert.deepEqual(problems, [], 'the page logged errors');
  });
  await page.goto(server.url + hash);
  await page.waitForSelector('body[data-ready]');
  return page;
}

/** Takes the focus off form controls, so that the page's keys apply. */
const blur = (page) => page.evaluate(() => document.activeElement?.blur());
const text = (page, selector) => page.locator(selector).innerText();
const count = (page, selector) => page.locator(selector).count();

/** Waits until the element's text matches `pattern` (the page debounces its rebuilds). */
function waitForText(page, selector, pattern) {
  return page.waitForFunction(
    ([sel, source, flags]) => new RegExp(source, flags).test(document.querySelector(sel).textContent),
    [selector, pattern.source, pattern.flags],
  );
}

/** Chooses a cut in the network panel and waits for core's answer to match `expect`. */
async function chooseCut(page, kind, value, expect) {
  await page.locator(`input[name=cut][value=${kind}]`).check();
  if (value !== undefined) {
    await page.locator('.cut-opt.on input.param').first().fill(String(value));
  }
  await waitForText(page, '#cut-result', expect);
  await blur(page);
}

test('merged and split chunks: the naive reader breaks, Seam gets whole messages', async (t) => {
  const page = await open(t);
  await page.locator('#clear-sends').click();
  await page.locator('#preset').selectOption('demo');
  await page.locator('#add-preset').click();
  await chooseCut(page, 'merge', 90, /merge:90 → 4 chunks/);
  await page.keyboard.press('End');

  assert.match(await text(page, '#step-label'), /Step 4 of 4/);
  assert.ok(await count(page, '.naive-row[data-verdict=merged]') >= 1, 'a merged chunk');
  assert.ok(await count(page, '.naive-row[data-verdict=broken]') >= 1, 'a broken chunk');
  assert.match(await text(page, '#naive-summary'), /1 merged/);
  assert.match(await text(page, '#status'), /stream ended on a frame boundary: 4 whole messages/);
  assert.equal(await count(page, '#messages .message'), 4);
  const messages = await text(page, '#messages');
  for (const header of ['"op":"chat_join"', '"op":"chat"', '"op":"echo"', '"action": "put"']) {
    assert.ok(messages.includes(header), `message ${header}`);
  }

  // Back one chunk: the last frame's body is incomplete and the decoder says so.
  await page.keyboard.press('ArrowLeft');
  assert.match(await text(page, '#step-label'), /Step 3 of 4/);
  assert.match(await text(page, '#status'), /waiting for 53 more bytes of the body/);
  assert.equal(await count(page, '#messages .message'), 3);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, 'visualiser.png') });

  await page.keyboard.press('Home');
  assert.match(await text(page, '#status'), /waiting for 4 bytes of the length prefix/);
  assert.equal(await count(page, '.naive-row'), 0);
  await page.keyboard.press('ArrowRight');
  assert.equal(await count(page, '#messages .message'), 2, 'the merged chunk held two whole frames');
  assert.equal(await count(page, '.naive-row[data-verdict=merged]'), 1);

  // Play to the end.
  await page.locator('#speed').selectOption('20');
  await blur(page);
  await page.keyboard.press('Space');
  await waitForText(page, '#step-label', /Step 4 of 4/);
  assert.match(await text(page, '#status'), /4 whole messages/);

  // Split at a small MSS: every chunk of a frame is broken, the messages stay whole.
  await chooseCut(page, 'split', 16, /split:16 → \d+ chunks/);
  await page.keyboard.press('End');
  assert.equal(await count(page, '.naive-row[data-verdict=merged]'), 0);
  assert.match(await text(page, '#naive-summary'), /0 whole/);
  assert.match(await text(page, '#status'), /4 whole messages/);

  // recv(4) then recv(5), the tutorials' way.
  await page.getByRole('button', { name: 'recv(4), recv(5)' }).click();
  await waitForText(page, '#cut-result', /reads:4,5 → 58 chunks/);
  await blur(page);
  await page.keyboard.press('End');
  assert.match(await text(page, '#status'), /4 whole messages/);
});

test('manual cuts, shared links and the tape', async (t) => {
  const page = await open(t);
  await chooseCut(page, 'manual', undefined, /→ 1 chunk$/);
  await page.keyboard.press('Home'); // the tape follows the decoder's position: back to byte 0
  await page.locator('#tape .cell[data-offset="10"]').click();
  await waitForText(page, '#cut-result', /→ 2 chunks/);
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  assert.match(await text(page, '#status'), /waiting for 25 more bytes of the header/);
  assert.equal(await page.locator('#tape .cell.cut').count(), 1);

  // The URL reproduces the scenario (it follows the page after a short debounce).
  await page.waitForTimeout(400);
  const url = page.url();
  assert.match(url, /#s=/);
  const again = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await again.goto(url);
  await again.waitForSelector('body[data-ready]');
  assert.match(await text(again, '#cut-result'), /cut at 1 offset → 2 chunks/);
  assert.match(await text(again, '#step-label'), /Step 1 of 2/);
  assert.match(await text(again, '#status'), /waiting for 25 more bytes of the header/);
  await again.close();

  // A bad header sent as typed makes the decoder fail, and the tape shows where.
  await page.locator('.send select.mode').first().selectOption('as_typed');
  await page.locator('.send textarea').first().fill('{"op": oops}');
  await blur(page);
  await page.keyboard.press('End');
  await waitForText(page, '#status', /header is not JSON/);
  assert.ok(await page.locator('#tape .cell.role-4').count() > 0, 'bad bytes marked');
  assert.ok(await page.locator('#tape .cell.role-5').count() > 0, 'unread bytes marked');
});

test('UDP: recvfrom(1024) on a 2,000-byte datagram loses the rest', async (t) => {
  const page = await open(t);
  await waitForText(page, '#udp-out', /recvfrom/);
  const out = await text(page, '#udp-out');
  assert.match(out, /one datagram of 2,000 bytes/);
  assert.match(out, /recvfrom\(1,024\) returned 1,024 bytes; the kernel dropped the other 976/);
  assert.match(out, /stream ended at byte 1024 inside the body/);
  await page.locator('#udp-buffer').fill('4096');
  assert.match(await text(page, '#udp-out'), /✓ one whole frame/);
});

/** A free port on 127.0.0.1 (closed again at once). */
function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, ms = 15000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(() => resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** Traces of a real upload over loopback: `seam serve --trace` (what the server's socket
 * read: the upload, cut as the network cut it) and `seam put FILE --trace` (the client's). */
async function makeTrace() {
  const bin = process.env.SEAM_BIN ?? join(REPO, 'target', 'debug', 'seam');
  assert.ok(existsSync(bin), `no seam binary at ${bin}: set SEAM_BIN or SEAM_TRACE_FILE`);
  const dir = mkdtempSync(join(tmpdir(), 'seam-e2e-'));
  const file = join(dir, 'upload.txt');
  writeFileSync(file, 'a line of the uploaded file\n'.repeat(4000));
  const port = await freePort();
  const root = join(dir, 'root');
  const serverTrace = join(dir, 'server-trace.jsonl');
  const clientTrace = join(dir, 'client-trace.jsonl');
  const serverProcess = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--root', root, '--trace', serverTrace], { stdio: 'ignore' });
  try {
    await waitForPort(port);
    const put = spawnSync(bin, ['put', file, '--server', `127.0.0.1:${port}`, '--quiet', '--trace', clientTrace], { encoding: 'utf8', timeout: 30000 });
    assert.equal(put.status, 0, `seam put failed: ${put.stderr}`);
    return { traces: [serverTrace, clientTrace], dir };
  } finally {
    serverProcess.kill();
  }
}

test('a real trace replays the chunks the socket returned', async (t) => {
  let traces = process.env.SEAM_TRACE_FILE ? [process.env.SEAM_TRACE_FILE] : null;
  if (!traces) {
    const made = await makeTrace();
    traces = made.traces;
    t.after(() => rmSync(made.dir, { recursive: true, force: true }));
  }
  const page = await open(t);
  await page.locator('[data-source=trace]').click();
  for (const trace of traces) await replay(page, trace);
});

/** Opens a trace on the page; its largest stream must decode to the upload's frames. */
async function replay(page, trace) {
  await page.locator('#trace-file').setInputFiles(trace);
  await blur(page);
  await waitForText(page, '#trace-status', /stream/);
  assert.doesNotMatch(await text(page, '#trace-status'), /✗/);
  assert.ok(await count(page, '.stream-opt') >= 2, 'both directions listed');
  assert.match(await text(page, '#cut-result'), /chunks, as traced/);
  const status = await text(page, '#status');
  assert.match(status, /stream ended on a frame boundary/);
  const frames = Number(/(\d+) whole messages/.exec(status)[1]);
  assert.ok(frames >= 3, `${frames} frames`);
  const headers = await page.evaluate(() => document.querySelector('#events').innerText + document.querySelector('#messages').innerText);
  assert.match(headers, /put_end|"op":"put/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `visualiser-${/server/.test(trace) ? 'server-' : ''}trace.png`) });
  // Step back through the real chunks.
  await page.keyboard.press('Home');
  assert.match(await text(page, '#status'), /waiting for 4 bytes of the length prefix/);
  await page.keyboard.press('ArrowRight');
  assert.match(await text(page, '#step-label'), /Step 1 of/);
}

/** The rows of one lane: its segment list and decoder, as drawn. */
const lane = (page, direction) => page.locator(`.lane[data-direction=${direction}]`);

test('a real capture shows its streams, both lanes and the segments as captured', async (t) => {
  // web/samples/seam-session.pcap: tcpdump's capture of `seam put`, `get` and `send` made by
  // native/tests/capture.rs (the page's sample capture).
  const capture = join(WEB, 'samples', 'seam-session.pcap');
  const page = await open(t, { width: 1500, height: 1000 });
  await page.locator('[data-source=capture]').click();
  await page.locator('#capture-file').setInputFiles(capture);
  await waitForText(page, '#capture-status', /TCP stream/);
  assert.match(await text(page, '#capture-status'), /seam-session\.pcap: 3 TCP streams/);
  assert.equal(await count(page, '#capture-streams .stream-opt'), 3);
  // The largest stream, the upload, is chosen: the client's lane carries the frames up.
  assert.equal(await count(page, '.lane'), 2);
  for (const direction of ['client', 'server']) {
    const segments = await lane(page, direction).locator('.segment').count();
    assert.ok(segments >= 3, `${direction}: ${segments} segments`);
    assert.equal(await lane(page, direction).locator('.segment.arrived').count(), segments);
    const first = await lane(page, direction).locator('.segment').first().innerText();
    assert.match(first, /#\d+[\s\S]*seq \d+[\s\S]*len 0[\s\S]*\[SYN/, 'the handshake opens each lane');
  }
  const up = await lane(page, 'client').innerText();
  assert.match(up, /"op":"put"/);
  assert.match(up, /"op":"put_data","size":150000\}[\s\S]*146\.5 KiB body|put_data/);
  assert.match(await lane(page, 'client').locator('.lane-status').innerText(), /\d+ messages/);
  assert.match(await lane(page, 'server').innerText(), /"op":"stored"/);
  // This capture holds a real retransmission: loopback resent the put_end frame.
  const resent = lane(page, 'client').locator('.segment[data-arrival=retransmission]');
  assert.equal(await resent.count(), 1);
  assert.match(await resent.innerText(), /len 61[\s\S]*retransmitted/);
  assert.match(await text(page, '#capture-step'), /packet (\d+) of \1/);
  await page.screenshot({ path: join(SHOTS, 'capture-lanes.png') });

  // Back to the start: nothing has arrived, no decoder has a message.
  await page.locator('#capture-first').click();
  assert.match(await text(page, '#capture-step'), /before the first of \d+ packets/);
  for (const direction of ['client', 'server']) {
    assert.equal(await lane(page, direction).locator('.segment.arrived').count(), 0);
    assert.match(await lane(page, direction).locator('.lane-status').innerText(), /0 bytes in order, 0 messages/);
  }
  // One packet at a time: the SYN comes first, from the client.
  await page.locator('#capture-forward').click();
  assert.match(await text(page, '#capture-step'), /packet 1 of \d+: client → server/);
  assert.equal(await lane(page, 'client').locator('.segment.current').count(), 1);
  assert.equal(await lane(page, 'server').locator('.segment.arrived').count(), 0);

  // Another stream, and the sample button loads the same capture.
  await page.locator('#capture-streams input[value="2"]').check();
  assert.match(await lane(page, 'client').innerText(), /"op":"send"|"op":"echo"/);
  await page.locator('#capture-sample').click();
  await waitForText(page, '#capture-status', /\(sample\): 3 TCP streams/);

  // Dropped on the page, a .pcap goes to the capture panel (a trace would go to the trace's).
  await page.evaluate(async () => {
    const bytes = await (await fetch('samples/seam-session.pcap')).arrayBuffer();
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'dropped.pcap'));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await waitForText(page, '#capture-status', /dropped\.pcap: 3 TCP streams/);

  // Not a capture: a clear error from core, nothing replaced.
  await page.locator('#capture-file').setInputFiles({ name: 'notes.pcap', mimeType: 'application/octet-stream', buffer: Buffer.from('hello, not a capture') });
  await waitForText(page, '#capture-status', /✗/);
  assert.match(await text(page, '#capture-status'), /notes\.pcap: not a pcap or pcapng file/);
  assert.equal(await count(page, '.lane'), 2);
});

test('a 10 MB stream of 100,000 frames decodes in one go and draws only what is on screen', async (t) => {
  const page = await open(t);
  await page.locator('[data-source=sample]').click();
  await page.waitForSelector('#sample-stats[data-mbps]', { timeout: 60000 });
  const stats = await page.locator('#sample-stats').evaluate((el) => ({ ...el.dataset }));
  assert.equal(Number(stats.bytes), 10_000_000);
  assert.equal(Number(stats.frames), 100_000);
  assert.match(await text(page, '#status'), /100,000 whole messages/);
  const cells = await count(page, '#tape .cell');
  assert.ok(cells > 0 && cells < 2000, `${cells} cells drawn`);
  await page.locator('#tape').evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await page.waitForTimeout(200);
  const offset = Number(await page.locator('#tape .cell').first().getAttribute('data-offset'));
  assert.ok(offset > 1_000_000, `the middle of the tape shows byte ${offset}`);

  const wasmMbps = Number(stats.mbps);
  const native = process.env.SEAM_NATIVE_MBPS ? Number(process.env.SEAM_NATIVE_MBPS) : NaN;
  const module = readFileSync(join(WEB, 'pkg', 'seam_wasm_bg.wasm'));
  const gz = gzipSync(module, { level: 9 }).length;
  const ratio = native ? (wasmMbps / native).toFixed(2) : 'n/a (SEAM_NATIVE_MBPS unset)';
  console.log(`wasm decode: ${wasmMbps.toFixed(0)} MB/s, native: ${native ? native.toFixed(0) : '?'} MB/s, ratio ${ratio} (target >= 0.5)`);
  console.log(`wasm size: ${module.length} bytes raw, ${gz} bytes gzipped (no size target of its own: the first load below has one)`);
});

test('readable at 1280x800 and at phone width', async (t) => {
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready]');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${width}px wide: the page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(SHOTS, `visualiser-${width}x${height}.png`) });
    await page.close();
  }
});

/** Starts `seam serve --web` on free loopback ports over web/; resolves to {url, stop()}. */
async function seamWeb() {
  const bin = process.env.SEAM_BIN ?? join(REPO, 'target', 'debug', 'seam');
  assert.ok(existsSync(bin), `no seam binary at ${bin}: set SEAM_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'seam-web-'));
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--root', join(dir, 'root'),
    '--web', '127.0.0.1:0', '--web-dir', WEB], { stdio: ['ignore', 'pipe', 'ignore'] });
  const stop = () => { child.kill(); rmSync(dir, { recursive: true, force: true }); };
  let seen = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`seam serve --web printed no URL: ${seen}`)), 15000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = /the visualiser is at (\S+)/.exec(seen);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`seam serve exited (${code}): ${seen}`)); });
  }).catch((error) => { stop(); throw error; });
  return { url, stop };
}

test('first load from seam serve --web: bytes over the wire and time to the first frame', async (t) => {
  const served = await seamWeb();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  t.after(async () => { await context.close(); served.stop(); });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  // The end of the first frame after the page says it is ready (its layout, the lists drawn
  // by their ResizeObservers, and paint: the task after that frame's animation callbacks),
  // in ms since navigation.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (!document.body?.dataset.ready) return;
      observer.disconnect();
      requestAnimationFrame(() => setTimeout(() => { window.seamFirstFrame = performance.now(); }));
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const resources = new Map();
  cdp.on('Network.responseReceived', ({ requestId, response }) => resources.set(requestId, {
    url: response.url, encoding: response.headers['content-encoding'] ?? response.headers['Content-Encoding'] ?? '',
  }));
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
    const resource = resources.get(requestId);
    if (resource) resource.bytes = encodedDataLength;
  });
  await page.goto(served.url);
  await page.waitForFunction(() => window.seamFirstFrame !== undefined);
  const [firstFrame, domReady, html, preloaded, marks, fetched] = await page.evaluate(() => [window.seamFirstFrame,
    performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
    performance.getEntriesByType('navigation')[0].responseEnd,
    [...document.querySelectorAll('link[rel=modulepreload], link[rel=preload]')].map((l) => new URL(l.href).pathname),
    performance.getEntriesByType('mark').filter((m) => m.name.startsWith('seam:')).map((m) => [m.name, m.startTime]),
    performance.getEntriesByType('resource').map((r) => [new URL(r.name).pathname, r.startTime, r.responseEnd])]);
  assert.deepEqual(problems, [], 'the page logged errors (a Content-Security-Policy violation shows here)');

  const loaded = [...resources.values()].filter((r) => r.bytes !== undefined);
  const total = loaded.reduce((sum, r) => sum + r.bytes, 0);
  for (const r of loaded) {
    console.log(`  ${String(r.bytes).padStart(7)} B  ${r.encoding.padEnd(4)} ${new URL(r.url).pathname}`);
  }
  // Every module and the wasm the first load fetches start with the HTML (no waterfall).
  const late = loaded.map((r) => new URL(r.url).pathname)
    .filter((path) => /\.(js|wasm)$/.test(path) && path !== '/app.js' && !preloaded.includes(path));
  assert.deepEqual(late, [], 'loaded but not preloaded by index.html');
  const wasm = loaded.find((r) => r.url.endsWith('.wasm'));
  assert.ok(wasm, 'the page loaded its wasm');
  assert.equal(wasm.encoding, 'br', 'the wasm came brotli-compressed');
  // Where the time goes, in ms since navigation: each file's request and response end, then
  // the page's marks (modules evaluated, wasm compiled and instantiated, first scenario built).
  console.log(`  navigation to the HTML's last byte: ${html.toFixed(0)} ms`);
  for (const [path, start, end] of fetched) {
    console.log(`  ${start.toFixed(0).padStart(5)}–${end.toFixed(0).padStart(5)} ms  ${path}`);
  }
  console.log(`  ${marks.map(([name, at]) => `${name} ${at.toFixed(0)} ms`).join(', ')}, first frame ${firstFrame.toFixed(0)} ms`);
  console.log(`first load: ${loaded.length} files, ${total} bytes over the wire (target <= 150000); `
    + `first frame ${firstFrame.toFixed(0)} ms after navigation (target <= 300; DOM ready at ${domReady.toFixed(0)} ms)`);
});
