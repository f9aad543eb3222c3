// Tests of the reader's fetching (net.js) against hostile HTTP answers,
// with fetch replaced by a fake server: bodies longer than asked for,
// hosts that ignore Range.
const test = require('node:test');
const assert = require('node:assert/strict');
const S = require('./load.cjs')();

const MiB = 1 << 20;

// serve replaces fetch with a server answering status, and a body of
// size bytes where byte i is i mod 251, streamed in 64 KiB chunks. It
// returns the count of bytes the reader pulled.
function serve(t, status, size) {
  const pulled = { n: 0 };
  const saved = globalThis.fetch;
  t.after(() => (globalThis.fetch = saved));
  globalThis.fetch = async (url, init) => {
    const stream = new ReadableStream({
      pull(c) {
        if (init.signal.aborted) return c.error(new Error('aborted'));
        if (pulled.n >= size) return c.close();
        const chunk = new Uint8Array(Math.min(64 << 10, size - pulled.n));
        for (let i = 0; i < chunk.length; i++) chunk[i] = (pulled.n + i) % 251;
        pulled.n += chunk.length;
        c.enqueue(chunk);
      },
    });
    return new Response(stream, { status });
  };
  return pulled;
}

const expected = (from, to) => Uint8Array.from({ length: to - from }, (_, i) => (from + i) % 251);

test('a host that ignores Range: the block is cut from the whole file, which is not kept', async (t) => {
  const from = 48 * MiB + 5;
  serve(t, 200, 64 * MiB);
  const got = await S.net.fetchBytes('http://m/ipfs/x', { range: [from, from + 100], statuses: [206, 200], max: 100 });
  assert.deepEqual(got, expected(from, from + 100));
  // The bytes before the block were dropped as they came, not held.
  assert.ok(got.buffer.byteLength < MiB, 'kept ' + got.buffer.byteLength + ' bytes for a 100-byte block');
});

test('a host that ignores Range: a file that ends early', async (t) => {
  serve(t, 200, 1000);
  await assert.rejects(S.net.fetchBytes('http://m/f', { range: [900, 1100], statuses: [206, 200], max: 200 }), /short file/);
  serve(t, 200, 1000);
  const got = await S.net.fetchBytes('http://m/f', { range: [900, 1100], statuses: [206, 200], max: 200, short: true });
  assert.deepEqual(got, expected(900, 1000));
  serve(t, 200, 1000);
  const none = await S.net.fetchBytes('http://m/f', { range: [2000, 2100], statuses: [206, 200], max: 100, short: true });
  assert.equal(none.length, 0);
});

test('a range answered with more than asked for is refused, and not read on', async (t) => {
  const pulled = serve(t, 206, 64 * MiB);
  await assert.rejects(S.net.fetchBytes('http://m/f', { range: [0, 100], statuses: [206, 200], max: 100 }), (e) => e.kind === 'ErrTooLarge');
  assert.ok(pulled.n < MiB, 'read ' + pulled.n + ' bytes');
  const pulled2 = serve(t, 200, 64 * MiB);
  await assert.rejects(S.net.fetchBytes('http://m/f', { max: 1000 }), (e) => e.kind === 'ErrTooLarge');
  assert.ok(pulled2.n < MiB, 'read ' + pulled2.n + ' bytes');
});

test('an unexpected status is an error with the status', async (t) => {
  serve(t, 404, 10);
  await assert.rejects(S.net.fetchBytes('http://m/f', { max: 10 }), (e) => e.status === 404);
});

test('reading articles keeps none of their blocks, nor a getter per read', async () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const car = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'bundle', 'testdata', 'vectors', 'v1-dictionary.car')));
  const b = await S.bundle.openCAR(car, {});
  const e = b.entries.find((x) => S.bundle.contentBlocks(b, x).length > 1);
  assert.ok(e, 'the vector has an article of several blocks');
  const want = await S.bundle.body(b, e);
  const fromFile = b.getBlock;
  let asked = 0;
  b.getBlock = (...a) => (asked++, fromFile(...a));
  const net = S.net.create({}, null);
  let getter = null;
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await net.body(b, e), want);
    // The bundle lives as long as the page: what one read prefetched must
    // not stay reachable from it, nor may each read wrap its getter again.
    getter ??= b.getBlock;
    assert.equal(b.getBlock, getter, 'read ' + (i + 1) + ' left a getter of its own on the bundle');
    const before = asked;
    await b.getBlock(S.bundle.contentBlocks(b, e)[0], S.mf.CODEC.RAW, S.limits.MaxBlockSize);
    assert.equal(asked, before + 1, 'read ' + (i + 1) + ' left its blocks in memory');
  }
});

// The head lookup, with heads the Go code signed (node/testdata/browser):
// root-valid is sequence 5, root-seq6 sequence 6, one publisher.
const fs = require('node:fs');
const path = require('node:path');
const headDir = path.join(__dirname, '..', '..', '..', 'node', 'testdata', 'browser');
const heads = JSON.parse(fs.readFileSync(path.join(headDir, 'heads.json'), 'utf8'));
const headOf = (name) => {
  const v = heads.find((h) => h.name === name);
  return { bytes: new Uint8Array(fs.readFileSync(path.join(headDir, v.file))), pub: v.publisher };
};

// memStore is the part of the store the head lookup uses.
function memStore() {
  const heads = new Map();
  return {
    heads,
    getHead: async (pub) => heads.get(pub) || null,
    putHead: async (pub, b) => void heads.set(pub, b),
  };
}

// mirrorsServing replaces fetch: each mirror answers its head (or never).
function mirrorsServing(t, answers) {
  const saved = globalThis.fetch;
  t.after(() => (globalThis.fetch = saved));
  globalThis.fetch = (url, init) => {
    const a = answers[new URL(url).origin];
    if (a === 'never') return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    return Promise.resolve(new Response(a, { status: 200 }));
  };
}

test('a mirror that never answers delays the head lookup by the grace, not the timeout', async (t) => {
  const older = headOf('root-valid'), newer = headOf('root-seq6');
  mirrorsServing(t, { 'http://a': older.bytes, 'http://b': 'never', 'http://c': newer.bytes });
  const net = S.net.create({ mirrors: [{ url: 'http://a/' }, { url: 'http://b/' }, { url: 'http://c/' }] }, memStore());
  net.headGrace = 100;
  const t0 = Date.now();
  const { head, mirror } = await net.newestHead(older.pub);
  // The request timeout is 20 s: well under it means the grace ended the wait.
  assert.ok(Date.now() - t0 < 12000, 'took ' + (Date.now() - t0) + ' ms');
  assert.equal(head.seq, 6n);
  assert.equal(mirror.url, 'http://c/');
});

test('mirrors that offer only older heads: the stored head stands', async (t) => {
  const older = headOf('root-valid'), newer = headOf('root-seq6');
  const store = memStore();
  store.heads.set(older.pub, newer.bytes);
  mirrorsServing(t, { 'http://a': older.bytes });
  const net = S.net.create({ mirrors: [{ url: 'http://a/' }] }, store);
  const { head, mirror } = await net.newestHead(older.pub);
  assert.equal(head.seq, 6n, 'rolled back to the mirror\'s older head');
  assert.equal(mirror.url, 'http://a/');
});

test('the high-water mark never goes back, whoever stores last', async () => {
  const older = headOf('root-valid'), newer = headOf('root-seq6');
  const store = memStore();
  const net = S.net.create({ mirrors: [] }, store);
  const parse = (h) => S.trust.parseHead(h.bytes, h.pub, { now: Date.now() });
  await net.storeHead(older.pub, await parse(newer));
  await net.storeHead(older.pub, await parse(older)); // a slower tab
  assert.deepEqual(store.heads.get(older.pub), newer.bytes);
});

// Two tabs store heads at once: both read the stored mark before either
// writes (the store's read waits until both asked, or 100 ms), and the
// older head is written last. Each tab's read, compare and write holds the
// origin's Web Lock of the publisher's head (here a lock of the same
// semantics, since Node has no navigator.locks), so the second reads the
// first's head and keeps it.
test('two tabs storing at once: the mark never goes back', async (t) => {
  const older = headOf('root-valid'), newer = headOf('root-seq6');
  const held = new Map(); // lock name → the promise of its last holder
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: { locks: { request(name, fn) {
      const run = (held.get(name) || Promise.resolve()).then(() => fn());
      held.set(name, run.catch(() => {}));
      return run;
    } } },
  });
  t.after(() => (saved ? Object.defineProperty(globalThis, 'navigator', saved) : delete globalThis.navigator));
  const store = memStore();
  let asked = 0;
  let both;
  const bothAsked = new Promise((resolve) => (both = resolve));
  const get = store.getHead;
  store.getHead = async (pub) => {
    const v = await get(pub);
    if (++asked === 2) both();
    await Promise.race([bothAsked, new Promise((r) => setTimeout(r, 100))]);
    return v;
  };
  const net = S.net.create({ mirrors: [] }, store);
  const parse = (h) => S.trust.parseHead(h.bytes, h.pub, { now: Date.now() });
  const [n, o] = [await parse(newer), await parse(older)];
  await Promise.all([net.storeHead(older.pub, n), net.storeHead(older.pub, o)]);
  assert.deepEqual(store.heads.get(older.pub), newer.bytes, 'the older head was written last');
});

// A returning reader whose mirrors now all answer with heads that do not
// verify: the saved articles and the stored head stand, and the result
// says a head failed verification (and from which mirror), not that the
// reader is offline.
test('every mirror answers a forged head: saved articles, shown as a verification failure, not offline', async (t) => {
  const good = headOf('root-valid');
  for (const name of ['record-of-another-key', 'bit-flipped']) {
    const forged = headOf(name);
    assert.equal(forged.pub, good.pub);
    const store = memStore();
    store.heads.set(good.pub, good.bytes);
    store.listArticles = async () => [{ id: 'saved', title: 'Saved before' }];
    mirrorsServing(t, { 'http://a': forged.bytes });
    const net = S.net.create({ mirrors: [{ url: 'http://a/' }] }, store);
    const res = await net.follow(good.pub);
    assert.equal(res.head.seq, 5n, name + ': the stored head');
    assert.deepEqual(res.articles.map((a) => a.id), ['saved'], name);
    assert.equal(res.offline, false, name + ': a forged head shown as the network failing');
    assert.equal(res.error && res.error.verifyError && res.error.verifyError.kind, 'ErrBadHead', name);
    assert.equal(res.error.verifyError.mirror, 'http://a/', name);
    assert.deepEqual(store.heads.get(good.pub), good.bytes, name + ': the mark moved');
  }
});

test('no mirror answers: saved articles, offline', async (t) => {
  const good = headOf('root-valid');
  const store = memStore();
  store.heads.set(good.pub, good.bytes);
  store.listArticles = async () => [{ id: 'saved', title: 'Saved before' }];
  const saved = globalThis.fetch;
  t.after(() => (globalThis.fetch = saved));
  globalThis.fetch = () => Promise.reject(new TypeError('Failed to fetch'));
  const net = S.net.create({ mirrors: [{ url: 'http://a/' }] }, store);
  const res = await net.follow(good.pub);
  assert.equal(res.offline, true);
  assert.equal(res.error, null);
});

test('a mirror that answers a forged head is reported, even when another mirror\'s head verifies', async (t) => {
  const good = headOf('root-valid'), forged = headOf('record-of-another-key');
  mirrorsServing(t, { 'http://a': forged.bytes, 'http://b': good.bytes });
  const net = S.net.create({ mirrors: [{ url: 'http://a/' }, { url: 'http://b/' }] }, memStore());
  const notes = [];
  const { head, mirror } = await net.newestHead(good.pub, (msg, arg) => notes.push([msg, arg]));
  assert.equal(head.seq, 5n);
  assert.equal(mirror.url, 'http://b/');
  assert.deepEqual(notes, [['forged', { mirror: 'http://a/', kind: 'ErrBadHead' }]]);
});
