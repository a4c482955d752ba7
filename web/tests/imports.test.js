// The .wasm files must import nothing but wasm-bindgen's own glue: an `env` import would
// mean a native dependency leaked into the build (quinn's CI guard, here for Seam).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, WEB, loadWasm } from './wasm.js';

const builds = [
  ['page build (web/pkg)', join(WEB, 'pkg')],
  ['vectors build (target/wasm-vectors)', process.env.SEAM_VECTORS_PKG ?? join(REPO, 'target', 'wasm-vectors')],
];

for (const [name, dir] of builds) {
  test(`${name} imports only wasm-bindgen's glue`, async () => {
    const file = join(dir, 'seam_wasm_bg.wasm');
    assert.ok(existsSync(file), `${file} is missing: run web/build.sh`);
    const module = new WebAssembly.Module(readFileSync(file));
    const imports = WebAssembly.Module.imports(module);
    const modules = new Set(imports.map((i) => i.module));
    assert.ok(!modules.has('env'), `imports from env: ${imports.filter((i) => i.module === 'env').map((i) => i.name).join(', ')}`);
    assert.deepEqual([...modules], imports.length ? ['./seam_wasm_bg.js'] : []);
    // Instantiating proves the glue provides every import.
    await loadWasm(dir);
  });
}
