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
  // Page 1 (the head's): bundles 20, 19, 18; prev page 2: 18 again, then 17..10; prev page 3.
  const pages = new Map([
    [1, { bundles: [20, 19, 18].map(root), prev: cid(2) }],
    [2, { bundles: [18, 17, 16, 15, 14, 13, 12, 11, 10].map(root), prev: cid(3) }],
    [3, { bundles: [9].map(root), prev: null }],
  ]);
  const read = [];
  n.block = async (c) => (read.push(c[c.length - 1]), Uint8Array.of(c[c.length - 1]));
  n.keep = async () => {};
  const saved = S.trust.parseCatalog;
  S.trust.parseCatalog = async (c, data) => ({ publisher: 'P', ...pages.get(data[0]) });
  try {
    const got = await n.newestBundles('P', cid(1), { url: 'https://x/' });
    assert.deepEqual(got.map((r) => r[r.length - 1]), [20, 19, 18, 17, 16, 15, 14, 13]);
    assert.deepEqual(read, [1, 2], 'page 3 was not needed');
    // A chain longer than the limit is refused.
    S.trust.parseCatalog = async () => ({ publisher: 'P', bundles: [], prev: cid(4) });
    await assert.rejects(n.newestBundles('P', cid(4), { url: 'https://x/' }), (e) => e.kind === 'ErrTooLarge');
  } finally {
    S.trust.parseCatalog = saved;
  }
});
