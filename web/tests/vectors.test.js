// Every shared test vector (tests/vectors/*.json) through core's vector runner compiled to
// WebAssembly: the same runner and files as the native suite, so native and wasm agree.
// The wasm is the `vectors` build of seam-wasm (web/test.sh puts it in target/wasm-vectors).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, loadWasm } from './wasm.js';

const dir = process.env.SEAM_VECTORS_PKG ?? join(REPO, 'target', 'wasm-vectors');
const wasm = await loadWasm(dir);
const vectorsDir = join(REPO, 'tests', 'vectors');
const files = readdirSync(vectorsDir).filter((f) => f.endsWith('.json')).sort();
let passed = 0;
let failed = 0;

test('there are shared vectors to run', () => {
  assert.ok(files.length >= 50, `only ${files.length} vectors in tests/vectors`);
});

for (const file of files) {
  test(`wasm vector ${file}`, () => {
    try {
      const description = wasm.checkVector(readFileSync(join(vectorsDir, file), 'utf8'));
      assert.equal(typeof description, 'string');
      passed += 1;
    } catch (error) {
      failed += 1;
      throw error;
    }
  });
}

test('a vector that lies fails in wasm too', () => {
  const text = readFileSync(join(vectorsDir, files[0]), 'utf8');
  const vector = JSON.parse(text);
  vector.events = vector.events.slice(1);
  assert.throws(() => wasm.checkVector(JSON.stringify(vector)), /expected events/);
});

after(() => {
  console.log(`wasm vectors: ${passed} passed, ${failed} failed (of ${files.length} files)`);
});
