// Tests of the mirrors a reader learns from publishers' signed documents
// (net.js, store.js): which entries become mirrors (held to Go's
// node.ParseMirror by the vectors node's TestBrowserVectors writes), the
// page's CSP as a filter, the order mirrors are tried in, and what the
// store keeps across a reload.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
require('./load.cjs')();
const S = require('./load.cjs')(['i18n.js', 'store.js']);
const { net, trust } = S;

const dir = path.join(__dirname, '../../../node/testdata/browser');
const documents = JSON.parse(fs.readFileSync(path.join(dir, 'documents.json'), 'utf8'));
const docBytes = (name) => new Uint8Array(fs.readFileSync(path.join(dir, documents.find((d) => d.name === name).file)));
const parse = (name) => trust.parseDocument(docBytes(name));

test('httpsMirror: the https entries Go\'s ParseMirror takes, normalized as NormalizeMirror does', () => {
  let https = 0, other = 0;
  for (const v of documents) {
    if (v.want !== 'ok' || !v.mirrors) continue;
    v.mirrors.forEach((entry, i) => {
      const goURL = v.mirrorURLs[i];
      // NormalizeMirror adds the slash ParseMirror trimmed.
      const want = goURL ? (goURL.endsWith('/') ? goURL : goURL + '/') : null;
      assert.equal(net.httpsMirror(entry), want, v.name + ': ' + entry);
      if (want) https++;
      else other++;
    });
  }
  // The vectors hold both kinds, well beyond a token few.
  assert.ok(https >= 60 && other >= 15, https + ' https, ' + other + ' others');
});

test('httpsMirror: entries outside the grammar it takes', () => {
  for (const e of ['https://a.example/../b', 'https://a.example/./', 'https://a.example/a/..', 'https://a.example/%2e%2e/',
    'https://a.example:65536/', 'https://[zz]/', 'https://a.example/a b', 'https://a.example\\b', 'https://*.example/',
    'https://a.example/;x', 'https://a.example/,', "https://a.example/'", 'https://a.example/*', 'https://a.example/?',
    'https://a@b.example/', 'https://a.example:/', 'https://:443/', 'wss://a.example/', 'https//a.example/', '', null, 7]) {
    assert.equal(net.httpsMirror(e), null, String(e));
  }
  assert.equal(net.httpsMirror('https://[2001:db8::1]:8443/x'), 'https://[2001:db8::1]:8443/x/');
  assert.equal(net.httpsMirror('https://a.example'), 'https://a.example/');
});

test('learnable: a verified document\'s https mirrors only, in order, once each', async () => {
  const doc = await parse('mirrors');
  assert.deepEqual(doc.mirrors, ['https://mirror.example.org/news',
    '/dns4/m.example.net/tcp/443/tls/ws/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5', 'tor:x']);
  assert.deepEqual(net.learnable(doc.mirrors), ['https://mirror.example.org/news/']);
  // Two entries naming one base URL are one mirror.
  assert.deepEqual(net.learnable(['https://a.example', 'https://a.example/', 'tor:x', 'https://b.example//']),
    ['https://a.example/', 'https://b.example/']);
  const most = await parse('mirrors-most');
  assert.equal(net.learnable(most.mirrors).length, 64);
});

test('cspAllows: connect-src as the browser reads it', () => {
  const page = 'http://127.0.0.1:8080/app/';
  const csp = "default-src 'none'; connect-src 'self' https://m.example/news/ https://other.example:8443/ http://plain.example; img-src blob:";
  const rows = [
    ['http://127.0.0.1:8080/ipfs/x', true], // 'self'
    ['http://127.0.0.1:8081/', false],
    ['https://m.example/news/ipfs/x', true], // under the path
    ['https://m.example/other/', false],
    ['https://m.example/news', false], // the path is news/, with its slash
    ['https://M.EXAMPLE/news/x', true], // hosts match in any case
    ['https://other.example:8443/x', true],
    ['https://other.example/x', false], // the port is part of the source
    ['http://plain.example/x', true],
    ['https://plain.example/x', true], // http: sources allow the https upgrade
    ['https://m.example:443/news/', true], // the default port
    ['https://unlisted.example/', false],
  ];
  for (const [url, want] of rows) assert.equal(net.cspAllows([csp], url, page), want, url);
  // default-src serves when there is no connect-src; no policy allows all.
  assert.equal(net.cspAllows(["default-src https://d.example/"], 'https://d.example/x', page), true);
  assert.equal(net.cspAllows(["default-src 'none'"], 'https://d.example/x', page), false);
  assert.equal(net.cspAllows(["img-src *"], 'https://d.example/x', page), true);
  assert.equal(net.cspAllows([], 'https://d.example/x', page), true);
  // Every policy must allow it; the first connect-src of a policy counts.
  assert.equal(net.cspAllows([csp, "connect-src https://m.example/"], 'https://m.example/news/x', page), true);
  assert.equal(net.cspAllows([csp, "connect-src https://n.example/"], 'https://m.example/news/x', page), false);
  assert.equal(net.cspAllows(["connect-src 'none'; connect-src *"], 'https://m.example/', page), false);
  // Paths match exactly, in their case; IPv6 hosts in brackets.
  assert.equal(net.cspAllows(['connect-src https://m.example/News/'], 'https://m.example/News/x', page), true);
  assert.equal(net.cspAllows(['connect-src https://m.example/News/'], 'https://m.example/news/x', page), false);
  assert.equal(net.cspAllows(['connect-src HTTPS://M.example/News/'], 'https://m.example/News/x', page), true);
  assert.equal(net.cspAllows(['connect-src https://[2001:db8::1]:8443/'], 'https://[2001:db8::1]:8443/x', page), true);
  assert.equal(net.cspAllows(['connect-src https://[2001:db8::1]:8443/'], 'https://[2001:db8::2]:8443/x', page), false);
  // Wildcards and schemes, and keywords it does not know.
  assert.equal(net.cspAllows(['connect-src https://*.example'], 'https://a.b.example/', page), true);
  assert.equal(net.cspAllows(['connect-src https://*.example'], 'https://example/', page), false);
  assert.equal(net.cspAllows(['connect-src https:'], 'https://x.example/', page), true);
  assert.equal(net.cspAllows(['connect-src https:'], 'http://x.example/', page), false);
  assert.equal(net.cspAllows(["connect-src 'unsafe-eval'"], 'https://x.example/', page), false);
  // A single file (file://) has no 'self' to match.
  assert.equal(net.cspAllows(["connect-src 'self'"], 'http://127.0.0.1/', null), false);
});

// mirror is a pool entry as orderMirrors reads it.
const mirror = (url, { score = 0, lastOK = 0, lastFail = 0 } = {}) => ({ url, score, lastOK, lastFail });

test('orderMirrors: worked (latest first), never tried, failed (oldest failure first); the score first', () => {
  const list = [
    mirror('failed-old', { lastFail: 100 }),
    mirror('worked-old', { lastOK: 200 }),
    mirror('new-1'),
    mirror('worked-then-failed', { lastOK: 300, lastFail: 400 }),
    mirror('failed-then-worked', { lastOK: 600, lastFail: 500 }),
    mirror('failed-new', { lastFail: 700 }),
    mirror('new-2'),
    mirror('own', { score: 1 }), // the page's origin starts ahead
    mirror('failed-twice-this-session', { score: -4, lastOK: 900 }),
  ];
  const got = net.orderMirrors(list, () => 0.5).map((m) => m.url);
  assert.deepEqual(got.slice(0, 3), ['own', 'failed-then-worked', 'worked-old']);
  assert.deepEqual(new Set(got.slice(3, 5)), new Set(['new-1', 'new-2']));
  assert.deepEqual(got.slice(5), ['failed-old', 'worked-then-failed', 'failed-new', 'failed-twice-this-session']);
});

test('orderMirrors: the untried mirrors come in every order, about equally often', () => {
  const list = ['a', 'b', 'c', 'd'].map((u) => mirror(u));
  const counts = new Map();
  const runs = 4800;
  for (let i = 0; i < runs; i++) {
    const k = net.orderMirrors(list).map((m) => m.url).join('');
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  // 24 orders, 200 each expected; 100..300 is far outside chance (σ ≈ 14).
  assert.equal(counts.size, 24);
  for (const [k, n] of counts) assert.ok(n > 100 && n < 300, k + ': ' + n);
  // Each mirror is first about a quarter of the time: no first try to predict.
  for (const u of ['a', 'b', 'c', 'd']) {
    const first = [...counts].filter(([k]) => k[0] === u).reduce((s, [, n]) => s + n, 0);
    assert.ok(first > runs / 4 - 250 && first < runs / 4 + 250, u + ' first ' + first + ' times');
  }
});

// countingStore is the memory store, counting its writes of mirror times.
function countingStore() {
  const st = new S.store.MemoryStore();
  st.healthWrites = 0;
  const put = st.putHealth.bind(st);
  st.putHealth = (rec) => (st.healthWrites++, put(rec));
  return st;
}

test('learn: a verified document\'s https mirrors join the pool for its publisher only, and the store', async () => {
  const doc = await parse('mirrors-kinds');
  const st = countingStore();
  const n = net.create({ mirrors: [{ url: 'https://configured.example/' }] }, st, { csp: null, page: null });
  await n.learn(doc.publisher, doc);
  const learned = n.mirrorList().filter((m) => m.learned).map((m) => m.url);
  assert.deepEqual(learned, ['https://mirror.example.org/news/', 'https://m2.example:8443/', 'https://m3.example/a/b/',
    'https://m4.example/', 'https://m5.example/x$y&z+w=v:u@t/', 'https://m6.example/a-b_c.d~e/']);
  assert.ok(n.mirrorList().every((m) => !m.learned || m.source === 'learned'));
  // For its publisher, besides the page's; for another, only the page's.
  assert.equal(n.ordered(doc.publisher).length, 7);
  assert.deepEqual(n.ordered('12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5').map((m) => m.url), ['https://configured.example/']);
  assert.deepEqual(n.ordered(undefined).map((m) => m.url), ['https://configured.example/']);
  const rec = await st.getLearned(doc.publisher);
  assert.equal(rec.seq, '1');
  assert.equal(rec.urls.length, 6);
  // A page mirror a document names too is marked, and stays the page's.
  await n.learn(doc.publisher, { ...doc, seq: 2n, mirrors: ['https://configured.example'] });
  assert.deepEqual(n.mirrorList().map((m) => [m.url, m.source, m.learned]), [['https://configured.example/', 'page', true]]);
});

test('learn: a newer document\'s list replaces the older one\'s; an older one changes nothing', async () => {
  const older = await parse('mirrors-kinds'); // seq 1
  const newer = await parse('mirrors'); // seq 3, one https mirror
  assert.equal(older.publisher, newer.publisher);
  const P = newer.publisher;
  const st = new S.store.MemoryStore();
  const n = net.create({}, st, { csp: null, page: null });
  await n.learn(P, older);
  await n.learn(P, newer);
  assert.deepEqual(n.ordered(P).map((m) => m.url), ['https://mirror.example.org/news/']);
  await n.learn(P, older); // a slower path brings the older document
  assert.deepEqual(n.ordered(P).map((m) => m.url), ['https://mirror.example.org/news/']);
  assert.equal((await st.getLearned(P)).seq, '3');
  // A newer document without mirrors empties the list.
  await n.learn(P, { ...newer, seq: 4n, mirrors: [] });
  assert.deepEqual(n.ordered(P), []);
  assert.deepEqual((await st.getLearned(P)).urls, []);
});

test('learn: a mirror the page\'s CSP does not allow is kept but never tried', async () => {
  const doc = await parse('mirrors-kinds');
  const P = doc.publisher;
  const st = new S.store.MemoryStore();
  const csp = "default-src 'none'; connect-src 'self' https://mirror.example.org/news/ https://m4.example/";
  const n = net.create({ self: { base: 'http://127.0.0.1:9/', kind: 'gateway' } }, st, { csp, page: 'http://127.0.0.1:9/' });
  await n.learn(P, doc);
  assert.deepEqual(n.ordered(P).map((m) => m.url).sort(), ['http://127.0.0.1:9/', 'https://m4.example/', 'https://mirror.example.org/news/']);
  const blocked = n.mirrorList().filter((m) => m.blocked).map((m) => m.url);
  assert.equal(blocked.length, 4);
  assert.equal((await st.getLearned(P)).urls.length, 6, 'the store keeps them all');
  // A later page whose CSP lists one can use it.
  const later = net.create({}, st, { csp: "connect-src https://m2.example:8443/", page: null });
  await later.load();
  assert.deepEqual(later.ordered(P).map((m) => m.url), ['https://m2.example:8443/']);
});

test('the store: a reload keeps the learned mirrors and which worked, and orders by them', async () => {
  const doc = await parse('mirrors-kinds');
  const P = doc.publisher;
  const st = countingStore();
  const first = net.create({}, st, { csp: null, page: null });
  await first.load();
  await first.learn(P, doc);
  const byURL = (n, u) => n.mirrors.find((m) => m.url === u);
  first._bad(byURL(first, 'https://mirror.example.org/news/'), new Error('HTTP 503'));
  await new Promise((r) => setTimeout(r, 5));
  first._ok(byURL(first, 'https://m2.example:8443/'));
  await new Promise((r) => setTimeout(r, 5));
  first._ok(byURL(first, 'https://m3.example/a/b/'));
  // Many successes in a row are one write.
  for (let i = 0; i < 100; i++) first._ok(byURL(first, 'https://m3.example/a/b/'));
  assert.equal(st.healthWrites, 3);

  // The reload: a new page, the same store.
  const second = net.create({}, st, { csp: null, page: null });
  await second.load();
  const order = second.ordered(P).map((m) => m.url);
  assert.deepEqual(order.slice(0, 2), ['https://m3.example/a/b/', 'https://m2.example:8443/']);
  assert.equal(order[order.length - 1], 'https://mirror.example.org/news/');
  assert.equal(order.length, 6);
  const m2 = second.mirrorList().find((m) => m.url === 'https://m2.example:8443/');
  assert.ok(m2.lastOK > 0 && m2.learned && m2.source === 'learned');

  // Times of mirrors that no list names any more are dropped at load.
  await st.putHealth({ url: 'https://gone.example/', lastOK: 1, lastFail: 0 });
  await net.create({}, st, { csp: null, page: null }).load();
  assert.ok(!(await st.allHealth()).some((h) => h.url === 'https://gone.example/'));
  assert.equal((await st.allHealth()).length, 3);
});

test('a mirror the reader removed is not learned back, until added again', async () => {
  const doc = await parse('mirrors');
  const P = doc.publisher;
  const n = net.create({}, new S.store.MemoryStore(), { csp: null, page: null });
  await n.learn(P, doc);
  n.removeMirror('https://mirror.example.org/news/');
  await n.learn(P, doc);
  assert.deepEqual(n.ordered(P), []);
  n.addMirror('https://mirror.example.org/news');
  assert.deepEqual(n.mirrorList().map((m) => [m.url, m.source]), [['https://mirror.example.org/news/', 'user']]);
  // The reader's own mirror serves every publisher.
  assert.equal(n.ordered('12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5').length, 1);
});

test('follow learns only from what verified, and after the mark is written', async (t) => {
  const doc = await parse('mirrors');
  const P = doc.publisher;
  const saved = trust.parseCatalog;
  t.after(() => (trust.parseCatalog = saved));
  trust.parseCatalog = async () => ({ bundles: [new Uint8Array(36)] });
  const run = async (bundleOK) => {
    const calls = [];
    const n = net.create({}, new S.store.MemoryStore(), { csp: null, page: null });
    n.newestHead = async () => ({ head: { catalog: new Uint8Array(36), document: doc, expired: false }, mirror: { url: 'https://x/' } });
    n.block = async () => new Uint8Array(1);
    n.keep = async () => {};
    n.openBundle = async () => {
      if (!bundleOK) S.fail('ErrBadSignature', 'the newest bundle');
      return { entries: [], authority: null };
    };
    n.storeHead = async () => void calls.push('mark');
    const learn = n.learn.bind(n);
    n.learn = async (...a) => (calls.push('learn'), learn(...a));
    await n.follow(P).catch((e) => calls.push(e.kind));
    return { calls, n };
  };
  const ok = await run(true);
  assert.deepEqual(ok.calls, ['mark', 'learn']);
  assert.deepEqual(ok.n.ordered(P).map((m) => m.url), ['https://mirror.example.org/news/']);
  const bad = await run(false);
  assert.deepEqual(bad.calls, ['ErrBadSignature']);
  assert.deepEqual(bad.n.ordered(P), []);
});
