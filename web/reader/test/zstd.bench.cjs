// Throughput of the zstd decoder on text compressed with the trained
// dictionary (the case bundles use), for reports: not run by go test.
// Usage: node web/reader/test/zstd.bench.cjs [seconds per case]
const fs = require('node:fs');
const path = require('node:path');
const S = require('./load.cjs')(['base.js', 'zstd.js']);

const dir = path.join(__dirname, '..', 'testdata', 'zstd');
const read = (f) => new Uint8Array(fs.readFileSync(path.join(dir, f)));
const vectors = JSON.parse(fs.readFileSync(path.join(dir, 'vectors.json'), 'utf8'));
const seconds = Number(process.argv[2] || 2);

function bench(name, frames, dict) {
  const maxOutput = 2 << 20;
  let bytes = 0, runs = 0;
  for (const f of frames) S.zstd.decompress(f, { dict, maxOutput }); // warm up
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (const f of frames) bytes += S.zstd.decompress(f, { dict, maxOutput }).length;
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const input = frames.reduce((n, f) => n + f.length, 0);
  console.log(`${name}: ${(bytes / elapsed / 1e6).toFixed(1)} MB/s output (${frames.length} frames, ${input} bytes in, ${runs} runs)`);
}

const groups = [
  ['trained dictionary, 64 KiB texts', (v) => v.dict === 'trained.dict' && v.name.startsWith('trained-multi-64k-')],
  ['trained dictionary, 1 MiB texts', (v) => v.dict === 'trained.dict' && v.name.startsWith('trained-multi-1m-')],
  ['trained dictionary, small texts', (v) => v.dict === 'trained.dict' && /^trained-(small|en|zh)-/.test(v.name)],
  ['no dictionary, 1 MiB text', (v) => v.name === 'multi-1m'],
];
const dict = S.zstd.parseDictionary(read('trained.dict'));
for (const [name, pick] of groups) {
  bench(name, vectors.filter(pick).map((v) => read(v.frame)), dict);
}
