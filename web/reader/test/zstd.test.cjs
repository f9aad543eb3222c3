// Tests of the zstd decoder (app/js/zstd.js) against the vectors made by
// klauspost/compress (testdata/zstd, see zstd_vectors_test.go), the real
// bundle vectors, and hostile input.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const S = require('./load.cjs')(['base.js', 'zstd.js']);

const Z = S.zstd;
const dir = path.join(__dirname, '..', 'testdata', 'zstd');
const bundleDir = path.join(__dirname, '..', '..', '..', 'bundle', 'testdata', 'vectors');
const read = (d, f) => new Uint8Array(fs.readFileSync(path.join(d, f)));
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const vectors = JSON.parse(fs.readFileSync(path.join(dir, 'vectors.json'), 'utf8'));
const dicts = {};
const dictOf = (v) => (v.dict ? (dicts[v.dict] ??= Z.parseDictionary(read(dir, v.dict))) : undefined);
const frameOf = (name) => read(dir, vectors.find((v) => v.name === name).frame);
const MAX = 2 << 20; // above every vector's output

// rejects asserts that fn throws a VerifyError of the kind.
function rejects(fn, kind) {
  assert.throws(fn, (e) => e instanceof S.VerifyError && e.kind === kind, 'want ' + kind);
}

// A small seeded generator, so a failing fuzz case can be reproduced.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

test('every vector decodes to its size and SHA-256', () => {
  assert.ok(vectors.length >= 50);
  for (const v of vectors) {
    const out = Z.decompress(read(dir, v.frame), { dict: dictOf(v), maxOutput: MAX });
    assert.equal(out.length, v.output_size, v.name);
    assert.equal(sha256(out), v.output_sha256, v.name);
  }
});

test('the vectors reach every feature of the format', () => {
  const stats = {};
  for (const v of vectors) Z.decompress(read(dir, v.frame), { dict: dictOf(v), maxOutput: MAX, stats });
  const features = [
    'blockRaw', 'blockRLE', 'blockCompressed', 'litRaw', 'litRLE', 'litHuffman', 'litTreeless',
    'litTreelessDict', 'lit1Stream', 'lit4Streams', 'huffDirect', 'huffFSE', 'seqPredefined', 'seqRLE',
    'seqFSE', 'seqRepeat', 'seqRepeatDict', 'dictMatch',
  ];
  for (const f of features) assert.ok(stats[f] > 0, 'no vector has ' + f);
});

test('frameHeader and frameEnd describe the vectors', () => {
  for (const v of vectors) {
    const f = read(dir, v.frame);
    const h = Z.frameHeader(f);
    assert.equal(Z.frameEnd(f), f.length, v.name);
    assert.ok(h.headerSize >= 6 && h.headerSize <= 18, v.name);
    if (h.contentSize !== undefined) assert.equal(h.contentSize, v.output_size, v.name);
    if (h.singleSegment) assert.equal(h.windowSize, h.contentSize, v.name);
    if (v.dict) assert.equal(h.dictID, dictOf(v).id, v.name);
    if (v.name.includes('checksum')) assert.ok(h.checksum, v.name);
    if (v.name.includes('stream')) assert.equal(h.contentSize, undefined, v.name);
    if (v.name.includes('window')) {
      assert.ok(!h.singleSegment, v.name);
      assert.ok(h.windowSize >= 64 << 10 && h.windowSize <= 1 << 20, v.name);
    }
    // frameEnd finds a frame inside a larger buffer.
    const padded = new Uint8Array(f.length + 7);
    padded.set(f, 3);
    assert.equal(Z.frameEnd(padded, 3), f.length + 3, v.name);
  }
  // The three sizes of the dictionary ID field.
  assert.equal(Z.frameHeader(frameOf('v1-id7')).dictID, 7);
  assert.equal(Z.frameHeader(frameOf('v1-en-default')).dictID, 40000);
  assert.ok(Z.frameHeader(frameOf('trained-en-default')).dictID >= 65536);
});

test('limits: output, window, dictionary, one frame', () => {
  const en = frameOf('en-checksum');
  const size = Z.frameHeader(en).contentSize;
  rejects(() => Z.decompress(en, { maxOutput: size - 1 }), 'ErrSizeMismatch');
  assert.equal(Z.decompress(en, { maxOutput: size }).length, size);
  // Without a content size, the overrun shows only while decoding.
  const stream = frameOf('multi-300k-window-64k-stream');
  rejects(() => Z.decompress(stream, { maxOutput: (300 << 10) - 1 }), 'ErrSizeMismatch');
  assert.equal(Z.decompress(stream, { maxOutput: 300 << 10 }).length, 300 << 10);
  rejects(() => Z.decompress(stream, { maxOutput: 1000 }), 'ErrSizeMismatch');
  // Windows: the frame's against maxWindow (default MaxZstdWindow).
  const windowed = frameOf('multi-1.5m-window-1m');
  rejects(() => Z.decompress(windowed, { maxOutput: MAX, maxWindow: 512 << 10 }), 'ErrTooLarge');
  assert.equal(Z.decompress(windowed, { maxOutput: MAX }).length, 3 << 19);
  // Dictionaries: the frame's ID must be the given dictionary's.
  const v1 = frameOf('v1-en-default'), trained = dictOf({ dict: 'trained.dict' }), v1dict = dictOf({ dict: 'v1.dict' });
  rejects(() => Z.decompress(v1), 'ErrMalformed');
  rejects(() => Z.decompress(v1, { dict: trained }), 'ErrMalformed');
  rejects(() => Z.decompress(frameOf('v1-id7'), { dict: v1dict }), 'ErrMalformed');
  // Exactly one frame: no trailing bytes, no second frame.
  const one = frameOf('en-short');
  for (const tail of [[0], [0x28, 0xb5, 0x2f, 0xfd], Array.from(one)]) {
    rejects(() => Z.decompress(Uint8Array.from([...one, ...tail])), 'ErrMalformed');
  }
});

test('headers that are not a plain frame', () => {
  const skippable = Uint8Array.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
  rejects(() => Z.frameHeader(skippable), 'ErrMalformed');
  rejects(() => Z.decompress(skippable), 'ErrMalformed');
  for (const bad of [[], [0x28, 0xb5, 0x2f], [0x28, 0xb5, 0x2f, 0xfe, 0x20, 0], 'not bytes']) {
    rejects(() => Z.decompress(typeof bad === 'string' ? bad : Uint8Array.from(bad)), 'ErrMalformed');
  }
  // Reserved header bit, reserved block type.
  const f = frameOf('en-short');
  const reserved = f.slice();
  reserved[4] |= 8;
  rejects(() => Z.frameHeader(reserved), 'ErrMalformed');
  const h = Z.frameHeader(f);
  const block3 = f.slice();
  block3[h.headerSize] |= 6;
  rejects(() => Z.frameEnd(block3), 'ErrMalformed');
  rejects(() => Z.decompress(block3), 'ErrMalformed');
  // An 8-byte content size far past the limit fails before any allocation.
  const huge = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
  assert.equal(Z.frameHeader(huge).contentSize, 2 ** 40);
  rejects(() => Z.decompress(huge), 'ErrSizeMismatch');
  // Content sizes that disagree with the blocks: short is corrupt, long
  // is an overrun.
  const rle = frameOf('crafted-rle-literals-20'); // FCS at bytes 9..12
  const longer = rle.slice(), shorter = rle.slice();
  longer[9] = 21;
  shorter[9] = 19;
  rejects(() => Z.decompress(longer), 'ErrMalformed');
  rejects(() => Z.decompress(shorter), 'ErrSizeMismatch');
  // An RLE block of 255 bytes in a frame of 255 (single segment), of 1000
  // (past the content size), of 2000 (past the block size, at least 1 KiB).
  const rleFrame = (n) => Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 255, (n << 3) | 3, n >> 5, n >> 13, 7]);
  assert.deepEqual(Z.decompress(rleFrame(255)), new Uint8Array(255).fill(7));
  rejects(() => Z.decompress(rleFrame(1000)), 'ErrSizeMismatch');
  rejects(() => Z.decompress(rleFrame(2000)), 'ErrMalformed');
});

test('every truncation fails as malformed', () => {
  for (const name of ['en-short', 'v1-ar-default', 'trained-small-best', 'small-alphabet', 'crafted-treeless-dict-4', 'trained-checksum']) {
    const v = vectors.find((x) => x.name === name);
    const f = read(dir, v.frame);
    for (let n = 0; n < f.length; n++) {
      rejects(() => Z.decompress(f.subarray(0, n), { dict: dictOf(v), maxOutput: MAX }), 'ErrMalformed');
    }
  }
});

// mutate returns a copy of f with 1–4 random changes: a bit flip, a random
// byte, or a byte set to 0 or 0xff; biased towards the first bytes, where
// the headers and tables are.
function mutate(f, r) {
  const g = f.slice();
  for (let k = 1 + r(4); k > 0; k--) {
    const i = r(3) === 0 ? r(g.length) : r(Math.min(g.length, 96));
    switch (r(4)) {
      case 0: g[i] ^= 1 << r(8); break;
      case 1: g[i] = r(256); break;
      case 2: g[i] = 0; break;
      default: g[i] = 0xff;
    }
  }
  return g;
}

// tryDecode decodes hostile input: it must return at most maxOutput bytes
// or throw a VerifyError, nothing else.
function tryDecode(f, opts, what) {
  let out;
  try {
    out = Z.decompress(f, opts);
  } catch (e) {
    if (!(e instanceof S.VerifyError)) throw new Error(`${what}: ${e.stack}`);
    assert.ok(S.KINDS.includes(e.kind), what);
    return false;
  }
  assert.ok(out instanceof Uint8Array && out.length <= opts.maxOutput, what);
  return true;
}

test('mutated frames decode or fail with a VerifyError', { timeout: 60000 }, () => {
  const r = rng(20261101);
  const small = vectors.filter((v) => fs.statSync(path.join(dir, v.frame)).size < 4096);
  const start = Date.now();
  let cases = 0, decoded = 0;
  for (let round = 0; cases < 30000 && Date.now() - start < 5000; round++) {
    const v = small[round % small.length];
    const f = read(dir, v.frame);
    for (let k = 0; k < 50; k++, cases++) {
      const g = mutate(f, r);
      const maxOutput = r(2) ? v.output_size + 64 : 1 << 20;
      if (tryDecode(g, { dict: dictOf(v), maxOutput, maxWindow: 1 << 20 }, `${v.name} case ${cases}`)) decoded++;
    }
  }
  assert.ok(cases >= 2000, `only ${cases} cases ran`);
  assert.ok(decoded < cases, 'no mutation was caught');
  // Bigger frames, fewer times.
  for (const name of ['en-64k-best', 'trained-multi-64k-default', 'runs-200k-best', 'multi-300k-window-64k-stream']) {
    const v = vectors.find((x) => x.name === name);
    const f = read(dir, v.frame);
    for (let k = 0; k < 40; k++) tryDecode(mutate(f, r), { dict: dictOf(v), maxOutput: 256 << 10 }, `${name} case ${k}`);
  }
});

// randomBlock returns a compressed block: a well-formed literals header
// (of a random type) and sequences header, then random bytes for the
// tables and bitstreams, so decoding gets past the headers.
function randomBlock(r) {
  const bytes = (n) => Array.from({ length: n }, () => r(256));
  const type = r(4), n = r(1024);
  let lits;
  if (type === 0) lits = [(n & 15) << 4 | 4, n >> 4, ...bytes(n)];
  else if (type === 1) lits = [(n & 15) << 4 | 5, n >> 4, r(256)];
  else {
    const c = 1 + r(200), four = r(2);
    const huff = r(2) ? [128 + r(128)] : [1 + r(60)];
    lits = [(n & 15) << 4 | (four << 2) | type, (n >> 4) | ((c & 3) << 6), c >> 2, ...huff, ...bytes(c - 1)];
  }
  const seqs = r(8) ? [1 + r(127), r(64) << 2, ...bytes(r(120))] : [0];
  return [...lits, ...seqs];
}

test('random blocks behind a valid header decode or fail with a VerifyError', { timeout: 60000 }, () => {
  const r = rng(7);
  const dict = dictOf({ dict: 'trained.dict' });
  const id = dict.id;
  for (let k = 0; k < 10000; k++) {
    // Single segment, 2-byte content size, 4-byte dictionary ID (or none);
    // one or two compressed blocks.
    const withDict = r(2) === 1;
    const f = [0x28, 0xb5, 0x2f, 0xfd, 0x60 | (withDict ? 3 : 0)];
    if (withDict) f.push(id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24);
    f.push(r(256), r(16));
    for (let b = 1 + r(2); b > 0; b--) {
      const body = randomBlock(r), n = body.length;
      f.push((n << 3) | 4 | (b === 1 ? 1 : 0), n >> 5, n >> 13, ...body);
    }
    tryDecode(Uint8Array.from(f), { dict, maxOutput: 8192 }, `random block ${k}`);
  }
});

test('mutated dictionaries parse or fail with a VerifyError', () => {
  const r = rng(99);
  const bytes = read(dir, 'v1.dict');
  const frame = frameOf('v1-en-default');
  for (let k = 0; k < 2000; k++) {
    const g = mutate(bytes, r);
    g.set(bytes.subarray(0, 8)); // keep magic and ID, to reach the tables
    let dict;
    try {
      dict = Z.parseDictionary(g);
    } catch (e) {
      if (!(e instanceof S.VerifyError)) throw new Error(`dictionary case ${k}: ${e.stack}`);
      continue;
    }
    tryDecode(frame, { dict, maxOutput: 8192 }, `dictionary case ${k}`);
  }
  for (let n = 0; n < 200; n++) rejects(() => Z.parseDictionary(bytes.subarray(0, n)), 'ErrMalformed');
  const zeroID = bytes.slice();
  zeroID.fill(0, 4, 8);
  rejects(() => Z.parseDictionary(zeroID), 'ErrMalformed');
});

// --- The bundle vectors ---

// base32 decodes RFC 4648 lowercase base32 without padding.
function base32(s) {
  const out = [];
  let bits = 0, value = 0;
  for (const ch of s) {
    value = (value << 5) | 'abcdefghijklmnopqrstuvwxyz234567'.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

// framesIn finds the zstd frames in a CAR by their magic, each delimited
// by frameEnd, in order.
function framesIn(car) {
  const frames = [];
  for (let i = 0; i + 4 <= car.length; i++) {
    if (car[i] === 0x28 && car[i + 1] === 0xb5 && car[i + 2] === 0x2f && car[i + 3] === 0xfd) {
      const end = Z.frameEnd(car, i);
      frames.push(car.subarray(i, end));
      i = end - 1;
    }
  }
  return frames;
}

for (const name of ['v1-dictionary', 'v1-root-signed', 'v1-delegated-clustered']) {
  test(`content frames of ${name}.car decode to its articles`, () => {
    const info = JSON.parse(fs.readFileSync(path.join(bundleDir, name + '.json'), 'utf8'));
    const dict = name === 'v1-dictionary' ? Z.parseDictionary(read(bundleDir, 'v1-dictionary.dict')) : undefined;
    const frames = framesIn(read(bundleDir, name + '.car'));
    assert.ok(frames.length >= 5);
    const outs = frames.map((f) => Z.decompress(f, { dict, maxOutput: S.limits.MaxPageRaw }));
    if (dict) assert.ok(frames.some((f) => Z.frameHeader(f).dictID === dict.id));
    // Each article's raw CID digest is the SHA-256 of one frame's output,
    // of two consecutive ones (an article of two blocks), or of a span of
    // a cluster.
    const hashes = new Set(outs.map(sha256));
    for (let i = 0; i + 1 < outs.length; i++) {
      hashes.add(crypto.createHash('sha256').update(outs[i]).update(outs[i + 1]).digest('hex'));
    }
    for (const a of info.articles) {
      const cid = base32(a.cid.slice(1));
      assert.deepEqual(Array.from(cid.subarray(0, 4)), [0x01, 0x55, 0x12, 0x20], a.id);
      const want = Buffer.from(cid.subarray(4)).toString('hex');
      const found = hashes.has(want) || outs.some((o) => {
        for (let off = 0; off + a.size <= o.length; off++) if (sha256(o.subarray(off, off + a.size)) === want) return true;
        return false;
      });
      assert.ok(found, `${name}: article ${a.id} is in no decoded frame`);
    }
  });
}

test('checksums: XXH64 known values; a frame with a wrong checksum is refused', () => {
  const enc = new TextEncoder();
  assert.equal(Z.xxh64(new Uint8Array(0)), 0xef46db3751d8e999n);
  assert.equal(Z.xxh64(enc.encode('a')), 0xd24ec4f1a98c6e5bn);
  assert.equal(Z.xxh64(enc.encode('abc')), 0x44bc2cf5ad770999n);
  assert.equal(Z.xxh64(enc.encode('Nobody inspects the spammish repetition')), 0xfbcea83c8a378bf1n);
  for (const name of ['en-checksum', 'trained-checksum']) {
    const good = frameOf(name);
    assert.ok(Z.frameHeader(good).checksum, name);
    const dict = dictOf(vectors.find((v) => v.name === name));
    assert.ok(Z.decompress(good, { dict }).length > 0);
    const bad = good.slice();
    bad[bad.length - 1] ^= 1;
    rejects(() => Z.decompress(bad, { dict }), 'ErrMalformed');
  }
});
