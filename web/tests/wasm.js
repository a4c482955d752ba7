// Loads a wasm-bindgen `--target web` build in Node (no browser needed).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const WEB = fileURLToPath(new URL('..', import.meta.url));
export const REPO = join(WEB, '..');

/** Imports `dir`/seam_wasm.js and instantiates its .wasm synchronously. */
export async function loadWasm(dir) {
  const glue = await import(pathToFileURL(join(dir, 'seam_wasm.js')).href);
  glue.initSync({ module: readFileSync(join(dir, 'seam_wasm_bg.wasm')) });
  return glue;
}
