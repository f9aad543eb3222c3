// Tests of the reader's walk of a catalog chain (net.js newestBundles).
const test = require('node:test');
const assert = require('node:assert/strict');
require('./load.cjs')();
const S = require('./load.cjs')(['i18n.js', 'store.js']);

// A catalog chain (protocol.md §5): the reader reads pages from the
// head's until it has the newest bundles it opens, each once, and stops.
test('newestBundles walks a catalog chain only as far as it needs', async () => {
  const n = S.net.create({}, new S.store.MemoryStore(), { csp: null, page: null });
  const cid = (i) => Uint8Array.from([1, 0x71, 0x12, 0x20, ...new Array(31).fill(0), i]);
  const root = (i) => Uint8Array.from([1, 0x71, 0x12, 0x20, ...new Array(31).fill(7), i]);
  // Page 1 (the head's): bundles 100..80; prev page 2: 80 again, then
  // 79..40; prev page 3: 39..30; prev page 4. The reader opens at most 64.
  const range = (hi, lo) => Array.from({ length: hi - lo + 1 }, (_, i) => hi - i);
  const pages = new Map([
    [1, { bundles: range(100, 80).map(root), prev: cid(2) }],
    [2, { bundles: range(80, 40).map(root), prev: cid(3) }],
    [3, { bundles: range(39, 30).map(root), prev: cid(4) }],
    [4, { bundles: [29].map(root), prev: null }],
  ]);
  const read = [];
  n.block = async (c) => (read.push(c[c.length - 1]), Uint8Array.of(c[c.length - 1]));
  n.keep = async () => {};
  const saved = S.trust.parseCatalog;
  S.trust.parseCatalog = async (c, data) => ({ publisher: 'P', ...pages.get(data[0]) });
  try {
    const got = await n.newestBundles('P', cid(1), { url: 'https://x/' });
    assert.deepEqual(got.map((r) => r[r.length - 1]), range(100, 37));
    assert.deepEqual(read, [1, 2, 3], 'page 4 was not needed');
    assert.equal(got.whole, false, 'bundles 36..29 left out, yet the list is whole');
    // A chain read to its end, under the bound: whole.
    read.length = 0;
    const short = await n.newestBundles('P', cid(3), { url: 'https://x/' });
    assert.deepEqual(short.map((r) => r[r.length - 1]), [...range(39, 30), 29]);
    assert.equal(short.whole, true);
    // Exactly the bound, with a page after it: not whole.
    pages.set(5, { bundles: range(163, 100).map(root), prev: cid(4) });
    const full = await n.newestBundles('P', cid(5), { url: 'https://x/' });
    assert.equal(full.length, 64);
    assert.equal(full.whole, false, 'bundle 29 left out, yet the list is whole');
    // A chain longer than the limit is refused.
    S.trust.parseCatalog = async () => ({ publisher: 'P', bundles: [], prev: cid(4) });
    await assert.rejects(n.newestBundles('P', cid(4), { url: 'https://x/' }), (e) => e.kind === 'ErrTooLarge');
  } finally {
    S.trust.parseCatalog = saved;
  }
});

// openNewest opens the newest bundle alone, then the others a few at a
// time, until they hold enough articles: small daily bundles are read as
// far back as that takes, a full bundle alone is enough.
test('openNewest opens bundles until they hold enough articles', async () => {
  const n = S.net.create({}, new S.store.MemoryStore(), { csp: null, page: null });
  const root = (i) => Uint8Array.from([1, 0x71, 0x12, 0x20, ...new Array(31).fill(7), i]);
  const BAD = 255;
  const num = (r) => r[r.length - 1];
  const opened = [];
  let size = 1;
  n.openBundle = async (pub, r) => {
    opened.push(num(r));
    if (num(r) === BAD) throw new Error('does not verify');
    return { entries: Array.from({ length: size }, (_, i) => ({ id: num(r) + '#' + i })), authority: null };
  };
  const said = [];
  const say = (msg) => said.push(msg);
  const roots = Array.from({ length: 64 }, (_, i) => root(i));
  const first = (bundles) => bundles.map((b) => b.entries[0].id);

  // Daily bundles of 20 articles: 500 articles take 25 bundles, opened in
  // batches after the newest, so up to 3 more.
  size = 20;
  let { bundles } = await n.openNewest('P', roots, null, say);
  assert.equal(opened[0], 0);
  assert.ok(bundles.length >= 25 && bundles.length <= 28, String(bundles.length));
  assert.deepEqual(first(bundles), opened.map((i) => i + '#0'), 'in catalog order');

  // One full bundle is enough.
  opened.length = 0;
  size = 1000;
  ({ bundles } = await n.openNewest('P', roots, null, say));
  assert.deepEqual(opened, [0]);

  // Bundles of one article each: all 64 are opened.
  size = 1;
  ({ bundles } = await n.openNewest('P', roots, null, say));
  assert.equal(bundles.length, 64);

  // A bundle that fails is skipped; the newest must verify.
  ({ bundles } = await n.openNewest('P', [root(0), root(BAD), root(2)], null, say));
  assert.deepEqual(first(bundles), ['0#0', '2#0']);
  assert.ok(said.includes('skipped'));
  await assert.rejects(n.openNewest('P', [root(BAD), root(1)], null, say), /does not verify/);
});
