// Writes BUILD.json beside the built component: a hash of the sources (this folder's files
// that make the bundle, lock file included) and of the built files, so that a test can tell
// a stale or hand-edited build (tests/test_flowmap_build.py computes the same hashes).
import {createHash} from 'node:crypto';
import {readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import {join, relative} from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const out = join(here, '../../observatoire/ui/components/flowmap');

function files(dir, base = dir) {
  return readdirSync(dir)
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? files(p, base) : [relative(base, p)];
    })
    .sort();
}

function digest(dir, names) {
  const h = createHash('sha256');
  for (const n of names) {
    h.update(n + '\0');
    h.update(readFileSync(join(dir, n)));
    h.update('\0');
  }
  return h.digest('hex');
}

const SOURCES = ['index.html', 'package.json', 'package-lock.json', 'vite.config.js', 'stamp.mjs'];
const srcFiles = [...SOURCES, ...files(join(here, 'src')).map((f) => 'src/' + f)];
const built = files(out).filter((f) => f !== 'BUILD.json');
const stamp = {sources: digest(here, srcFiles), build: digest(out, built), files: built};
writeFileSync(join(out, 'BUILD.json'), JSON.stringify(stamp, null, 1) + '\n');
console.log('BUILD.json', stamp.sources.slice(0, 12), stamp.build.slice(0, 12));
