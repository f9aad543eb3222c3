// Tests of S.mf: varints, bases, CIDs, publisher IDs, the block check and
// Ed25519 through WebCrypto.
const test = require('node:test');
const assert = require('node:assert/strict');
const nodeCrypto = require('node:crypto');
const S = require('./load.cjs')(['base.js', 'multiformats.js']);
const mf = S.mf;

const hex = (s) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');

function throwsKind(fn, kind) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof S.VerifyError, 'not a VerifyError: ' + e);
    assert.equal(e.kind, kind, e.message);
    return true;
  });
}
async function rejectsKind(p, kind) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof S.VerifyError, 'not a VerifyError: ' + e);
    assert.equal(e.kind, kind, e.message);
    return true;
  });
}

// seedKey returns the Ed25519 key pair of a 32-byte seed, with Node's
// crypto (independent of the code under test).
function seedKey(byte) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, byte)]);
  const priv = nodeCrypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const pub = nodeCrypto.createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(12);
  return { priv, pub: new Uint8Array(pub) };
}

// A deterministic random source, so a failure can be reproduced.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

test('varint reads minimal LEB128 up to 2^53-1', () => {
  const cases = [
    ['00', 0], ['01', 1], ['7f', 127], ['8001', 128], ['ff01', 255], ['ac02', 300],
    ['ffffffffffffff0f', Number.MAX_SAFE_INTEGER],
  ];
  for (const [h, n] of cases) {
    assert.deepEqual(mf.varint(hex(h), 0), [n, h.length / 2], h);
    assert.equal(toHex(mf.varintBytes(n)), h);
  }
  assert.deepEqual(mf.varint(hex('aa ac02 bb'), 1), [300, 3]);
  throwsKind(() => mf.varint(hex('8000'), 0), 'ErrMalformed'); // non-minimal 0
  throwsKind(() => mf.varint(hex('ff00'), 0), 'ErrMalformed'); // non-minimal 127
  throwsKind(() => mf.varint(hex('ff80'), 0), 'ErrTruncated');
  throwsKind(() => mf.varint(hex('8080808080808010'), 0), 'ErrMalformed'); // 2^53
  throwsKind(() => mf.varint(hex('ffffffffffffffff7f'), 0), 'ErrMalformed');
  throwsKind(() => mf.varint(hex('80'), 0), 'ErrTruncated');
  throwsKind(() => mf.varint(hex(''), 0), 'ErrTruncated');
  throwsKind(() => mf.varint(hex('01'), 1), 'ErrTruncated');
  const r = rng(1);
  for (let i = 0; i < 2000; i++) {
    const n = Math.floor(r() * 2 ** Math.floor(r() * 54));
    assert.deepEqual(mf.varint(mf.varintBytes(n), 0), [n, mf.varintBytes(n).length]);
  }
});

test('base58btc, base32 and base36 match their specifications', () => {
  const enc = new TextEncoder();
  assert.equal(mf.base58btc.encode(enc.encode('Hello World!')), '2NEpo7TZRRrLZSi2U');
  assert.equal(mf.base58btc.encode(hex('000001')), '112');
  assert.equal(toHex(mf.base58btc.decode('112')), '000001');
  assert.equal(toHex(mf.base58btc.decode('1')), '00');
  throwsKind(() => mf.base58btc.decode('0OIl'), 'ErrMalformed');
  throwsKind(() => mf.base58btc.decode(''), 'ErrMalformed');
  // RFC 4648 §10, lowercase, without padding.
  const rfc = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
  for (const [plain, b32] of rfc) {
    assert.equal(mf.base32.encode(enc.encode(plain)), b32);
    assert.equal(Buffer.from(mf.base32.decode(b32)).toString(), plain);
    assert.equal(Buffer.from(mf.base32.decode(b32.toUpperCase())).toString(), plain);
  }
  for (const bad of ['m', 'mzx', 'mzxw6y', 'mzxw6yq!', 'mzxw6yq=']) throwsKind(() => mf.base32.decode(bad), 'ErrMalformed');
  assert.equal(toHex(mf.base36.decode('00a')), '00000a');
  assert.equal(toHex(mf.base36.decode('A')), '0a');
  throwsKind(() => mf.base36.decode('a-b'), 'ErrMalformed');
  const r = rng(2);
  for (let i = 0; i < 300; i++) {
    const b = Uint8Array.from({ length: Math.floor(r() * 40) }, () => (r() < 0.2 ? 0 : Math.floor(r() * 256)));
    if (b.length) assert.deepEqual(mf.base58btc.decode(mf.base58btc.encode(b)), b);
    assert.deepEqual(mf.base32.decode(mf.base32.encode(b)), b);
  }
});

test('CIDs: our objects are CIDv1 sha2-256 with a full digest', async () => {
  const empty = await mf.cidOf(mf.CODEC.RAW, new Uint8Array());
  assert.equal(mf.cidString(empty), 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku');
  assert.deepEqual(mf.cidFromString('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'), empty);
  assert.deepEqual(mf.cidFromString('BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU'), empty);
  assert.deepEqual(mf.cidFromString('f' + toHex(empty)), empty);
  assert.deepEqual(mf.cidFromString('z' + mf.base58btc.encode(empty)), empty);
  assert.deepEqual(mf.cidFromString('u' + Buffer.from(empty).toString('base64url')), empty);
  const c = mf.parseCID(empty);
  assert.deepEqual([c.version, c.codec, c.hashCode, toHex(c.digest)],
    [1, 0x55, 0x12, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']);
  // A CIDv0 is a CID, but not one of ours.
  const v0 = mf.cidFromString('QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n');
  assert.equal(v0.length, 34);
  assert.equal(mf.castCID(v0).version, 0);
  assert.equal(mf.cidString(v0), 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n');
  throwsKind(() => mf.parseCID(v0), 'ErrWrongType');
  const sha512 = hex('0155 1340' + '00'.repeat(64));
  mf.castCID(sha512);
  throwsKind(() => mf.parseCID(sha512), 'ErrWrongType');
  const short = hex('0155 1210' + '00'.repeat(16));
  throwsKind(() => mf.parseCID(short), 'ErrWrongType');
  for (const bad of ['', '01', '015512', '0155122000', '02551220' + '00'.repeat(32), '01551220' + '00'.repeat(33)]) {
    throwsKind(() => mf.castCID(hex(bad)), 'ErrMalformed');
    throwsKind(() => mf.parseCID(hex(bad)), 'ErrWrongType');
  }
  for (const bad of ['', 'b', 'x' + mf.base32.encode(empty), 'bafy!', 'Qm']) throwsKind(() => mf.cidFromString(bad), 'ErrMalformed');
});

test('checkBlock: size, then the CID form and codec, then the hash', async () => {
  const data = new TextEncoder().encode('block');
  const raw = await mf.cidOf(mf.CODEC.RAW, data);
  const cbor = await mf.cidOf(mf.CODEC.DAG_CBOR, data);
  await mf.checkBlock(raw, data, mf.CODEC.RAW, 5);
  await rejectsKind(mf.checkBlock(raw, data, mf.CODEC.RAW, 4), 'ErrTooLarge');
  await rejectsKind(mf.checkBlock(cbor, data, mf.CODEC.RAW, 5), 'ErrWrongType');
  await rejectsKind(mf.checkBlock(hex('1220' + toHex(raw.subarray(4))), data, mf.CODEC.RAW, 5), 'ErrWrongType');
  await rejectsKind(mf.checkBlock(raw, new TextEncoder().encode('blocK'), mf.CODEC.RAW, 5), 'ErrHashMismatch');
  await rejectsKind(mf.checkBlock(hex('0155'), data, mf.CODEC.RAW, 5), 'ErrWrongType');
});

test('publisher IDs: the examples of bundle-format.md §3', () => {
  const { pub } = seedKey(0x01);
  const id = '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5';
  const k51 = 'k51qzi5uqu5djmw2yvf8kk5cdjc1ddc00o4d5sjwi6f79xzcay9j3gkddw5uu4';
  assert.equal(mf.publisherID(pub), id);
  assert.deepEqual(mf.publisherKey(id), pub);
  assert.deepEqual(mf.publisherKey(k51), pub);
  assert.deepEqual(mf.publisherKey(k51.toUpperCase().replace(/^K/, 'K')), pub);
  const cid = mf.base36.decode(k51.slice(1));
  assert.equal(toHex(cid.subarray(0, 8)), '0172002408011220');
  assert.deepEqual(mf.publisherKey('b' + mf.base32.encode(cid)), pub);
  assert.deepEqual(mf.publisherKey('z' + mf.base58btc.encode(cid)), pub);
  assert.ok(mf.isBase58PublisherID(id));
  assert.ok(!mf.isBase58PublisherID(k51));
  assert.ok(!mf.isBase58PublisherID(id + 'x'));
  assert.ok(!mf.isBase58PublisherID(42));
});

test('publisher IDs: anything else is ErrBadKey', () => {
  const { pub } = seedKey(0x01);
  const mh = (prefix) => mf.base58btc.encode(mf.concat(hex(prefix), pub));
  const cidOf = (codec) => 'b' + mf.base32.encode(mf.concat(hex('01' + codec + '0024 08011220'), pub));
  const bad = [
    '', 'x', '12D3KooW', '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH6x',
    mh('0024 08021220'), // a secp256k1 key type
    mh('0024 08011221'), // a 33-byte key field
    mh('1220'), // a sha2-256 multihash, as RSA peer IDs are
    mh('0025 08011220') + '1', // length disagreeing with the digest
    cidOf('55'), // a CID, but not of a key
    'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n', // CIDv0: a sha2-256 multihash
    'k51qzi5uqu5djmw2yvf8kk5cdjc1ddc00o4d5sjwi6f79xzcay9j3gkddw5uu', // truncated
    '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH0', // 0 is not base58
  ];
  for (const id of bad) throwsKind(() => mf.publisherKey(id), 'ErrBadKey');
  throwsKind(() => mf.publisherKey(undefined), 'ErrBadKey');
  throwsKind(() => mf.publisherID(pub.subarray(1)), 'ErrBadKey');
  assert.deepEqual(mf.publisherKey(cidOf('72')), pub);
});

test('verifyEd25519 agrees with Node crypto', async () => {
  const { priv, pub } = seedKey(0x02);
  const msg = new TextEncoder().encode('samizdat');
  const sig = new Uint8Array(nodeCrypto.sign(null, msg, priv));
  assert.equal(await mf.verifyEd25519(pub, msg, sig), true);
  const flipped = sig.slice();
  flipped[10] ^= 1;
  assert.equal(await mf.verifyEd25519(pub, msg, flipped), false);
  assert.equal(await mf.verifyEd25519(pub, new TextEncoder().encode('samizdaT'), sig), false);
  assert.equal(await mf.verifyEd25519(pub, msg, sig.subarray(0, 63)), false);
  assert.equal(await mf.verifyEd25519(pub.subarray(0, 31), msg, sig), false);
  assert.equal(await mf.verifyEd25519(seedKey(3).pub, msg, sig), false);
  // S ≥ ℓ: Go's ed25519.Verify refuses a non-canonical S; so must we.
  const big = sig.slice();
  big.set(hex('edd3f55c1a631258d69cf7a2def9de14' + '00'.repeat(15) + '10'), 32);
  assert.equal(await mf.verifyEd25519(pub, msg, big), false);
});

test('decoders throw only VerifyErrors on random input', () => {
  const r = rng(3);
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0=+/-_!kbzfQ';
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(r() * 70);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(r() * alphabet.length)];
    const bytes = Uint8Array.from({ length: Math.floor(r() * 50) }, () => Math.floor(r() * 256));
    for (const fn of [() => mf.publisherKey(s), () => mf.cidFromString(s), () => mf.castCID(bytes), () => mf.parseCID(bytes),
      () => mf.varint(bytes, 0), () => mf.multibaseDecode(s)]) {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof S.VerifyError, 'threw ' + e);
      }
    }
  }
});
