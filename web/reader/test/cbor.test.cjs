// Tests of S.cbor: the strict canonical DAG-CBOR decoder (every rule of
// bundle-format.md §2 has a row), the encoder, and the schema checks.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const S = require('./load.cjs')(['base.js', 'multiformats.js', 'cbor.js']);
const { decode, encode, Link, struct, tuple } = S.cbor;

const hex = (s) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');
const CID = '01711220' + 'ab'.repeat(32);

function throwsKind(fn, kind, msg) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof S.VerifyError, (msg || '') + ': not a VerifyError: ' + e);
    assert.equal(e.kind, kind, (msg || '') + ': ' + e.message);
    return true;
  });
}

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

// Every way a value can fail to be canonical DAG-CBOR, each ErrMalformed.
const violations = [
  ['empty input', ''],
  ['uint not shortest (1 byte)', '1801'],
  ['uint not shortest (2 bytes)', '190017'],
  ['uint not shortest (4 bytes)', '1a0000ffff'],
  ['uint not shortest (8 bytes)', '1b00000000ffffffff'],
  ['negint not shortest', '3800'],
  ['negint below int64', '3b8000000000000000'],
  ['bytes length not shortest', '580100'],
  ['text length not shortest', '780161'],
  ['array length not shortest', '980100'],
  ['map length not shortest', 'b801616100'],
  ['indefinite bytes', '5f41ff ff'],
  ['indefinite text', '7f6161ff'],
  ['indefinite array', '9f00ff'],
  ['indefinite map', 'bf616100ff'],
  ['break alone', 'ff'],
  ['reserved additional info', '1c'],
  ['map key not text (int)', 'a10100'],
  ['map key not text (bytes)', 'a1416100'],
  ['map keys not sorted', 'a2616200616100'],
  ['map keys longer first', 'a2626161006162 00'],
  ['map key repeated', 'a2616100616100'],
  ['float16', 'f90000'],
  ['float32', 'fa00000000'],
  ['float64', 'fb0000000000000000'],
  ['undefined', 'f7'],
  ['simple value 16', 'f0'],
  ['simple value in a byte', 'f820'],
  ['tag 0 on text', 'c0 6161'],
  ['tag 42 on text', 'd82a 6161'],
  ['tag 42 not shortest', 'd9002a 5825 00' + CID],
  ['tag 1 on bytes', 'c1 5825 00' + CID],
  ['tag on a tag', 'd82a d82a 5825 00' + CID],
  ['link without the 0x00 prefix', 'd82a 5824' + CID],
  ['link of an empty byte string', 'd82a 40'],
  ['link to bytes that are no CID', 'd82a 4400017112'],
  ['link with a truncated digest', 'd82a 5824 00' + CID.slice(0, -2)],
  ['trailing bytes', '0000'],
  ['truncated text', '6261'],
  ['truncated array', '820001'.slice(0, 4)],
  ['truncated map', 'a1616'.slice(0, 4)],
  ['truncated head', '19 01'],
  ['length beyond the input', '5b0000000100000000'],
  ['text not UTF-8', '61ff'],
  ['text with a lone surrogate', '63eda080'],
  ['overlong UTF-8', '62c0af'],
];

test('canonical-violation table: each is ErrMalformed', () => {
  for (const [name, h] of violations) throwsKind(() => decode(hex(h)), 'ErrMalformed', name);
});

test('nesting and allocation are bounded as in Go', () => {
  const deep = (n) => hex('81'.repeat(n) + '00');
  assert.ok(Array.isArray(decode(deep(1024))));
  throwsKind(() => decode(deep(1025)), 'ErrMalformed', 'depth');
  // A list of 1000 zeros costs 1000 + 4×1000 + 1000; a budget of 5999 is not enough.
  const list = hex('9903e8' + '00'.repeat(1000));
  assert.equal(decode(list).length, 1000);
  assert.equal(decode(list, { maxAlloc: 6000 }).length, 1000);
  throwsKind(() => decode(list, { maxAlloc: 5999 }), 'ErrMalformed', 'budget');
  // A declared length beyond the input is refused before anything is allocated.
  throwsKind(() => decode(hex('9affffffff')), 'ErrMalformed', 'huge list');
  throwsKind(() => decode(hex('bbffffffffffffffff')), 'ErrMalformed', 'huge map');
});

test('value model', () => {
  assert.equal(decode(hex('00')), 0);
  assert.equal(decode(hex('17')), 23);
  assert.equal(decode(hex('1818')), 24);
  assert.equal(decode(hex('20')), -1);
  assert.equal(decode(hex('1b001fffffffffffff')), Number.MAX_SAFE_INTEGER);
  assert.equal(decode(hex('1b0020000000000000')), 2n ** 53n);
  assert.equal(decode(hex('3b001ffffffffffffe')), -Number.MAX_SAFE_INTEGER);
  assert.equal(decode(hex('3b001fffffffffffff')), -(2n ** 53n));
  assert.equal(decode(hex('1bffffffffffffffff')), 2n ** 64n - 1n);
  assert.equal(decode(hex('3b7fffffffffffffff')), -(2n ** 63n));
  assert.equal(decode(hex('f4')), false);
  assert.equal(decode(hex('f5')), true);
  assert.equal(decode(hex('f6')), null);
  assert.deepEqual(decode(hex('43010203')), Uint8Array.of(1, 2, 3));
  assert.equal(decode(hex('63e282ac')), '€');
  const m = decode(hex('a2 6161 01 6162 82 00 60'));
  assert.equal(Object.getPrototypeOf(m), null);
  assert.deepEqual(Object.keys(m), ['a', 'b']);
  const l = decode(hex('d82a 5825 00' + CID));
  assert.ok(l instanceof Link);
  assert.equal(toHex(l.cid), CID);
  // A key that would be special on a plain object is just a key.
  const p = decode(hex('a1 695f5f70726f746f5f5f 01'));
  assert.equal(Object.getOwnPropertyDescriptor(p, '__proto__').value, 1);
  assert.equal(Object.getPrototypeOf(p), null);
});

test('encode writes the canonical form', () => {
  const cases = [
    [0, '00'], [23, '17'], [24, '1818'], [255, '18ff'], [256, '190100'], [65536, '1a00010000'],
    [2 ** 32, '1b0000000100000000'], [-1, '20'], [-25, '3818'], [2n ** 64n - 1n, '1bffffffffffffffff'],
    [-(2n ** 64n), '3bffffffffffffffff'], [10n, '0a'],
    ['', '60'], ['a', '6161'], [new Uint8Array(), '40'], [[], '80'], [true, 'f5'], [null, 'f6'],
    [{ b: 1, a: 2, aa: 3, undef: undefined }, 'a3 6161 02 6162 01 626161 03'],
    [new Link(hex(CID)), 'd82a 5825 00' + CID],
  ];
  for (const [v, h] of cases) assert.equal(toHex(encode(v)), h.replace(/\s+/g, ''), String(v));
  for (const bad of [1.5, NaN, Infinity, 2 ** 53, () => 1, Symbol('x'), undefined, 2n ** 64n]) {
    throwsKind(() => encode(bad), 'ErrMalformed', String(bad));
  }
});

test('Go-written objects decode and re-encode byte for byte', () => {
  for (const f of ['publisher-document.bin', 'delegated-head.bin']) {
    const b = new Uint8Array(fs.readFileSync(path.join(__dirname, '../../../node/testdata', f)));
    assert.deepEqual(encode(decode(b)), b, f);
  }
});

// randomValue makes a value of the model, at most depth deep.
function randomValue(r, depth) {
  const k = Math.floor(r() * (depth > 0 ? 9 : 7));
  const ints = [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, 2n ** 53n, 2n ** 64n - 1n];
  switch (k) {
    case 0: {
      const v = ints[Math.floor(r() * ints.length)];
      return r() < 0.5 ? v : typeof v === 'bigint' ? (v <= 2n ** 63n ? -v : v) : -v - (v === Number.MAX_SAFE_INTEGER ? 0 : 1);
    }
    case 1: return Uint8Array.from({ length: Math.floor(r() * 30) }, () => Math.floor(r() * 256));
    case 2: return ['', 'a', 'samizdat', 'новости', '新闻', '😀', 'x'.repeat(300)][Math.floor(r() * 7)];
    case 3: return [true, false, null][Math.floor(r() * 3)];
    case 4: return new Link(hex('01' + (r() < 0.5 ? '55' : '71') + '1220' + toHex(Uint8Array.from({ length: 32 }, () => Math.floor(r() * 256)))));
    case 5: return Math.floor(r() * 1e6) - 5e5;
    case 6: return 'k' + Math.floor(r() * 100);
    case 7: return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth - 1));
    default: {
      const o = Object.create(null);
      for (let i = Math.floor(r() * 6); i > 0; i--) o[['v', 'seq', 'type', 'keys', 'a', 'bb', 'ccc', ''][Math.floor(r() * 8)]] = randomValue(r, depth - 1);
      return o;
    }
  }
}

test('round trips: decode(encode(v)) = v and encode(decode(b)) = b', () => {
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const v = randomValue(r, 4);
    const b = encode(v);
    const back = decode(b);
    assert.deepEqual(back, v);
    assert.deepEqual(encode(back), b);
  }
});

test('random and mutated bytes: only VerifyErrors, and whatever decodes is canonical', () => {
  const r = rng(11);
  const seeds = [];
  for (let i = 0; i < 50; i++) seeds.push(encode(randomValue(r, 3)));
  let accepted = 0;
  const t0 = Date.now();
  for (let i = 0; i < 40000 && Date.now() - t0 < 4000; i++) {
    let b;
    if (i % 3 === 0) {
      b = Uint8Array.from({ length: Math.floor(r() * 24) }, () => Math.floor(r() * 256));
    } else {
      b = seeds[i % seeds.length].slice();
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits && b.length; e++) {
        const at = Math.floor(r() * b.length);
        const op = Math.floor(r() * 3);
        if (op === 0) b[at] = Math.floor(r() * 256);
        else if (op === 1) b = b.slice(0, at);
        else b = S.mf.concat(b.subarray(0, at), Uint8Array.of(Math.floor(r() * 256)), b.subarray(at));
      }
    }
    let v;
    try {
      v = decode(b);
    } catch (e) {
      assert.ok(e instanceof S.VerifyError, 'threw ' + e.stack);
      assert.equal(e.kind, 'ErrMalformed');
      continue;
    }
    accepted++;
    assert.equal(toHex(encode(v)), toHex(b), 'accepted a non-canonical encoding');
  }
  assert.ok(accepted > 100, 'the mutations were all refused: ' + accepted);
});

test('relaxed decoding takes what go-ipld-prime takes', () => {
  const m = decode(hex('a2 6162 00 6161 01'), { relaxed: true });
  assert.deepEqual(Object.keys(m), ['b', 'a']);
  for (const f of ['fb3ff8000000000000', 'f93e00', 'fa3fc00000']) {
    const v = decode(hex(f), { relaxed: true });
    assert.ok(v instanceof S.cbor.Float, f);
    assert.equal(v.value, 1.5);
  }
  // A float that is a whole number is still no integer.
  assert.ok(decode(hex('fb4000000000000000'), { relaxed: true }) instanceof S.cbor.Float);
  assert.equal(decode(hex('f90001'), { relaxed: true }).value, 2 ** -24);
  assert.equal(decode(hex('f7'), { relaxed: true }), null);
  assert.equal(decode(hex('c0 6161'), { relaxed: true }), 'a');
  assert.equal(decode(hex('61ff'), { relaxed: true }), '\xff');
  throwsKind(() => decode(hex('a2 6161 00 6161 01'), { relaxed: true }), 'ErrMalformed', 'repeated key');
  throwsKind(() => decode(hex('fb7ff8000000000000'), { relaxed: true }), 'ErrMalformed', 'NaN');
  throwsKind(() => decode(hex('f97c00'), { relaxed: true }), 'ErrMalformed', 'infinity');
  throwsKind(() => decode(hex('c1 4100'), { relaxed: true }), 'ErrMalformed', 'tag on bytes');
  throwsKind(() => decode(hex('c0 c0 6161'), { relaxed: true }), 'ErrMalformed', 'two tags');
  throwsKind(() => decode(hex('1801'), { relaxed: true }), 'ErrMalformed', 'still shortest integers');
  throwsKind(() => decode(hex('9f00ff'), { relaxed: true }), 'ErrMalformed', 'still definite lengths');
});

test('binaryText keeps text as Go sees it, and encodes it back', () => {
  const b = hex('a1 6474797065 62ff00');
  const v = decode(b, { binaryText: true });
  assert.equal(v.type, '\xff\x00');
  assert.deepEqual(encode(v, { binaryText: true }), b);
  throwsKind(() => decode(b), 'ErrMalformed', 'strict UTF-8 by default');
  throwsKind(() => decode(hex('a2 6162 00 6161 01'), { binaryText: true }), 'ErrMalformed', 'still sorted');
});

test('struct and tuple check the schema', () => {
  const fields = { v: 'int', name: 'string', keys: ['list', 'bytes'], link: { opt: 'link' }, sub: { a: 'bool' }, t: ['tuple', ['int', 'string']] };
  const ok = decode(encode({ v: 1, name: 'n', keys: [Uint8Array.of(1)], sub: { a: true }, t: [1, 'x'] }));
  assert.equal(struct(ok, fields), ok);
  const withLink = decode(encode({ v: 1, name: 'n', keys: [], link: new Link(hex(CID)), sub: { a: false }, t: [2n ** 63n - 1n, ''] }));
  struct(withLink, fields);
  const bad = [
    ['missing field', { name: 'n', keys: [], sub: { a: true }, t: [1, 'x'] }],
    ['unknown field', { v: 1, name: 'n', keys: [], sub: { a: true }, t: [1, 'x'], extra: 1 }],
    ['null field', { v: null, name: 'n', keys: [], sub: { a: true }, t: [1, 'x'] }],
    ['null optional field', { v: 1, name: 'n', keys: [], link: null, sub: { a: true }, t: [1, 'x'] }],
    ['wrong kind', { v: '1', name: 'n', keys: [], sub: { a: true }, t: [1, 'x'] }],
    ['int beyond int64', { v: 2n ** 63n, name: 'n', keys: [], sub: { a: true }, t: [1, 'x'] }],
    ['wrong list element', { v: 1, name: 'n', keys: ['k'], sub: { a: true }, t: [1, 'x'] }],
    ['nested struct', { v: 1, name: 'n', keys: [], sub: { a: 1 }, t: [1, 'x'] }],
    ['nested struct not a map', { v: 1, name: 'n', keys: [], sub: [true], t: [1, 'x'] }],
    ['short tuple', { v: 1, name: 'n', keys: [], sub: { a: true }, t: [1] }],
    ['long tuple', { v: 1, name: 'n', keys: [], sub: { a: true }, t: [1, 'x', 2] }],
    ['tuple element', { v: 1, name: 'n', keys: [], sub: { a: true }, t: ['x', 1] }],
    ['bytes where a link belongs', { v: 1, name: 'n', keys: [], link: hex(CID), sub: { a: true }, t: [1, 'x'] }],
  ];
  for (const [name, v] of bad) throwsKind(() => struct(decode(encode(v)), fields), 'ErrMalformed', name);
  throwsKind(() => struct([1], fields), 'ErrMalformed', 'a list');
  throwsKind(() => struct(null, fields), 'ErrMalformed', 'null');
  assert.deepEqual(tuple([1, 'a'], ['int', 'string']), [1, 'a']);
  throwsKind(() => tuple([1, null], ['int', { opt: 'string' }]), 'ErrMalformed', 'null in a tuple');
});
