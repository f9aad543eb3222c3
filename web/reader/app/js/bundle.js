// The bundle verifier (bundle-format.md §4–§9): the Go reader's procedure
// (bundle/open.go, page.go, read.go, article.go), step by step and in its
// order, so a damaged or forged bundle fails here with the error kind the
// Go reader gives it. open reads blocks one at a time through a getter
// (Go's OpenBlocks: metadata only, each block checked before the next is
// asked for); openCAR reads a whole bundle file. Content is verified at
// every read (step 15): body, attachment, verifyAll.
(function (S) {
  'use strict';

  const fail = S.fail;
  const L = S.limits;
  const { RAW, DAG_CBOR } = S.mf.CODEC;

  // Bounds of the Go reader (bundle/limits.go) that base.js does not list.
  // MaxBundleSpans: spans cost memory whatever bytes they name, and any
  // number can name the empty block. MaxArticleSize: the most one article
  // (body and attachments) may hold, so its spans cannot make reading it
  // decode gigabytes. MaxArticleSlack: the decoded bytes of blocks an
  // article's spans may name beyond its own (a short body shares its
  // cluster). MaxBlocks bounds the index of a hostile file, and a CAR
  // section holds a block and its CID (at most 128 bytes).
  const MaxBundleSpans = 2 * L.MaxArticles;
  const MaxArticleSize = 512 << 20;
  const MaxArticleSlack = L.MaxBlockRaw;
  const MaxBlocks = 4 << 20;
  const MaxCARSection = L.MaxBlockSize + 128;

  const FORMAT_VERSION = 1;
  const TYPE_BUNDLE = 'samizdat/bundle';
  const SIG_CONTEXT = S.utf8Encode('samizdat bundle v1\x00');
  const ENC_NONE = 0;
  const ENC_ZSTD = 1;
  const DICT_MAGIC = Uint8Array.of(0x37, 0xa4, 0x30, 0xec);
  // A content CID, and a content block's CID: CIDv1, raw, sha2-256, the
  // full digest. Exactly these 4 bytes and 32 more (what go-cid's Cast and
  // isRawSHA256 accept together).
  const RAW_SHA256 = Uint8Array.of(0x01, RAW, 0x12, 0x20);

  // The schema (bundle-format.md §5) in S.cbor's terms.
  const SPAN = ['tuple', ['int', 'int', 'int', 'int', 'int']];
  const ATTACHMENT = ['tuple', ['string', 'string', 'int', 'bytes', ['list', SPAN]]];
  const ENTRY = [
    'string', 'string', 'string', 'int', 'int', 'string', ['list', 'string'],
    'string', 'string', 'int', 'bytes', ['list', SPAN], ['list', ATTACHMENT],
  ];
  const ENVELOPE = {
    payload: {
      v: 'int', type: 'string', publisher: 'string', seq: 'int', created: 'int', signer: 'bytes',
      authority: { opt: 'link' }, manifest: 'link', articles: 'int', bytes: 'int',
    },
    sig: 'bytes',
  };
  const MANIFEST = { v: 'int', dict: { opt: 'link' }, pages: ['list', 'link'] };
  const PAGE = { blocks: ['list', 'link'], entries: 'bytes' };

  const key = (cid) => S.cbor.latin1(cid);
  const isRawSHA256 = (c) => c.length === 36 && S.equalBytes(c.subarray(0, 4), RAW_SHA256);

  // rethrowAs runs f and turns any VerifyError it throws into one of kind
  // (the Go reader reports every failure of that stage as one sentinel).
  function rethrowAs(kind, msg, f) {
    try {
      return f();
    } catch (e) {
      if (e instanceof S.VerifyError) fail(kind, msg + ': ' + e.message);
      throw e;
    }
  }

  // utf8Length is the UTF-8 byte length of a string decoded from strict
  // UTF-8 (so without lone surrogates): the length Go's limits count.
  function utf8Length(s) {
    let n = s.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        n += 1; // a pair: 2 code units, 4 bytes
        i++;
      } else if (c >= 0x800) {
        n += 2;
      } else if (c >= 0x80) {
        n += 1;
      }
    }
    return n;
  }

  // ---- Where blocks come from ----

  // A bundle reads blocks through bundle.getBlock(cid, codec, maxSize),
  // which returns them checked (S.mf.checkBlock), and knows a block's size
  // without reading it only from a file (sizeOf: a Number, undefined if the
  // file lacks it, -1 if not known).

  // carGetter reads blocks from a bundle file through its index.
  function carGetter(bytes, index) {
    return async function (cid, codec, maxSize) {
      const loc = index.get(key(cid));
      if (!loc) fail('ErrMissingBlock', S.mf.cidString(cid));
      if (loc.n > maxSize) fail('ErrTooLarge', 'block of ' + loc.n + ' bytes, limit ' + maxSize);
      const data = bytes.subarray(loc.off, loc.off + loc.n);
      await S.mf.checkBlock(cid, data, codec, maxSize);
      return data;
    };
  }

  // readBlock is Go's "read block" (§9) through a bundle's getter: any
  // failure to get the block is ErrMissingBlock, except the checks of the
  // block itself, which keep their kinds; the block is checked again here,
  // whatever the getter did.
  async function readBlock(b, cid, codec, maxSize) {
    let data;
    try {
      data = await b.getBlock(cid, codec, maxSize);
    } catch (e) {
      if (e instanceof S.VerifyError && CHECK_KINDS.has(e.kind)) throw e;
      fail('ErrMissingBlock', S.mf.cidString(cid) + ': ' + (e && e.message));
    }
    if (!(data instanceof Uint8Array)) fail('ErrMissingBlock', S.mf.cidString(cid));
    await S.mf.checkBlock(cid, data, codec, maxSize);
    return data;
  }
  const CHECK_KINDS = new Set(['ErrTooLarge', 'ErrWrongType', 'ErrHashMismatch']);

  // ---- The bundle file (§4; §9 steps 1 and 2) ----

  // carVarint reads a length varint as go-varint does: lengths of up to 63
  // bits, which S.mf.varint refuses beyond 2^53, are still lengths (so
  // over any limit: ErrTooLarge), and a longer varint is malformed.
  function carVarint(bytes, off) {
    try {
      return S.mf.varint(bytes, off);
    } catch (e) {
      if (!(e instanceof S.VerifyError) || e.kind !== 'ErrMalformed') throw e;
      let i = 0;
      while (i < 9 && off + i < bytes.length && bytes[off + i] >= 0x80) i++;
      if (i >= 7 && i < 9 && off + i < bytes.length && bytes[off + i] !== 0) return [Infinity, off + i + 1];
      throw e;
    }
  }

  // carHeader returns the one header a bundle file of this root may have.
  function carHeader(root) {
    const h = S.cbor.encode({ roots: [new S.cbor.Link(root)], version: 1 });
    return S.mf.concat(S.mf.varintBytes(h.length), h);
  }

  // readCARHeader returns the root the header names and where the
  // sections start.
  function readCARHeader(bytes) {
    const [n, off] = carVarint(bytes, 0);
    if (n > L.MaxCARHeader) fail('ErrTooLarge', 'CAR header of ' + n + ' bytes');
    if (n > bytes.length - off) fail('ErrTruncated', 'the file ends inside the CAR header');
    const h = rethrowAs('ErrMalformed', 'CAR header', () => S.cbor.decode(bytes.subarray(off, off + n), { relaxed: true }));
    const version = h !== null && typeof h === 'object' ? h.version : undefined;
    if (version === 2) fail('ErrUnsupportedVersion', 'CAR version 2, want 1');
    if (version !== 1) fail('ErrMalformed', 'not a CAR of version 1');
    const roots = h.roots;
    if (!Array.isArray(roots) || roots.length !== 1 || !(roots[0] instanceof S.cbor.Link)) {
      fail('ErrMalformed', 'a CAR header must name one root');
    }
    // Only the one encoding of this root, so no byte of the file escapes
    // verification.
    const want = carHeader(roots[0].cid);
    if (want.length !== off + n || !S.equalBytes(bytes.subarray(0, want.length), want)) {
      fail('ErrMalformed', 'CAR header is not canonical');
    }
    return [roots[0].cid, off + n];
  }

  // cidEnd returns where the CID at off ends (go-cid's CidFromReader); a
  // CID running past end is cut short, as the file is.
  function cidEnd(bytes, off, end) {
    const b = bytes.subarray(0, end);
    if (b[off] === 0x12 && b[off + 1] === 0x20) {
      if (off + 34 > end) fail('ErrTruncated', 'the file ends inside a CID');
      return off + 34; // CIDv0
    }
    let p = off;
    let version, digest;
    [version, p] = S.mf.varint(b, p);
    if (version !== 1) fail('ErrMalformed', 'CID version ' + version);
    p = S.mf.varint(b, p)[1]; // codec
    p = S.mf.varint(b, p)[1]; // multihash function
    [digest, p] = S.mf.varint(b, p);
    if (digest > end - p) fail('ErrTruncated', 'the file ends inside a CID');
    return p + digest;
  }

  // indexCAR reads a bundle file's header and section headers, and returns
  // the root and where each block is: its first copy (§4).
  function indexCAR(bytes) {
    const [root, start] = readCARHeader(bytes);
    const index = new Map();
    let off = start;
    while (off < bytes.length) {
      const [len, p] = carVarint(bytes, off);
      if (len > MaxCARSection) fail('ErrTooLarge', 'CAR section of ' + len + ' bytes');
      if (len === 0) fail('ErrMalformed', 'CAR section of no bytes');
      const sectionEnd = p + len;
      const dataOff = cidEnd(bytes, p, Math.min(sectionEnd, bytes.length));
      if (sectionEnd > bytes.length) fail('ErrTruncated', 'the file ends inside a block');
      const n = sectionEnd - dataOff;
      if (n > L.MaxBlockSize) fail('ErrTooLarge', 'block of ' + n + ' bytes');
      if (index.size >= MaxBlocks) fail('ErrTooLarge', 'more than ' + MaxBlocks + ' blocks');
      const k = S.cbor.latin1(bytes.subarray(p, dataOff));
      if (!index.has(k)) index.set(k, { off: dataOff, n });
      off = sectionEnd;
    }
    return { root, index };
  }

  // openCAR opens and verifies a bundle file (§9 steps 1–14): every block
  // the metadata names is read from the file, and every content block must
  // be there.
  async function openCAR(bytes, opts = {}) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('openCAR wants a Uint8Array');
    const { root, index } = indexCAR(bytes);
    const sizeOf = (cid) => index.get(key(cid))?.n;
    return verify(root, carGetter(bytes, index), sizeOf, bytes.length, opts);
  }

  // open opens and verifies the bundle whose envelope is root, reading its
  // metadata through getBlock(cid, codec, maxSize) one block at a time,
  // each checked (and, from the envelope on, the signature) before the
  // next is asked for; it asks for no content block. getBlock becomes the
  // bundle's getBlock, through which body and attachment read content.
  async function open(root, getBlock, opts = {}) {
    return verify(root, getBlock, () => -1, 0, opts);
  }

  // ---- Steps 3 to 14 ----

  async function verify(root, getBlock, sizeOf, size, opts) {
    const b = {
      root, publisher: '', seq: 0n, signer: null, created: 0, articles: 0, bytes: 0, size,
      authority: null, dict: null, entries: [], byID: new Map(), getBlock,
    };
    const st = { sizeOf, meta: [], manifest: null, dictID: 0, blocks: null };
    internals.set(b, st);
    Object.defineProperty(b, 'blocks', { value: () => blocks(b), enumerable: false });
    await verifyEnvelope(b, st, opts);
    await loadManifest(b, st);
    return b;
  }

  // Go keeps these next to the bundle, unexported.
  const internals = new WeakMap();

  // checkVersion reads payload.v without the schema (§9 step 4), so a
  // future version's envelope is reported as such rather than malformed.
  // What it cannot read is left to the strict decoder.
  function checkVersion(data) {
    let v;
    try {
      const obj = S.cbor.decode(data, { relaxed: true });
      v = obj && typeof obj === 'object' && obj.payload && typeof obj.payload === 'object' ? obj.payload.v : undefined;
    } catch (e) {
      if (e instanceof S.VerifyError) return;
      throw e;
    }
    const isInt = Number.isSafeInteger(v) || (typeof v === 'bigint' && v >= -(1n << 63n) && v < 1n << 63n);
    if (isInt && v != FORMAT_VERSION) fail('ErrUnsupportedVersion', 'envelope version ' + v);
  }

  async function verifyEnvelope(b, st, opts) {
    const data = await readBlock(b, b.root, DAG_CBOR, L.MaxEnvelopeSize);
    checkVersion(data);
    // Strings as Go reads them, bytes not checked for UTF-8: a type that
    // is not UTF-8 is of the wrong type, a publisher not one malformed.
    const env = S.cbor.struct(S.cbor.decode(data, { binaryText: true }), ENVELOPE, 'envelope');
    const pl = env.payload;
    if (pl.type !== TYPE_BUNDLE) fail('ErrWrongType', 'not a bundle envelope');
    if (!S.mf.isBase58PublisherID(pl.publisher)) fail('ErrMalformed', 'envelope names no valid publisher');
    const rootKey = S.mf.publisherKey(pl.publisher);
    if (opts.publisher) {
      const want = S.mf.publisherKey(opts.publisher); // ErrBadKey
      if (!S.equalBytes(want, rootKey)) fail('ErrWrongPublisher', 'signed for ' + pl.publisher);
    }
    if (pl.signer.length !== 32 || pl.seq <= 0 || pl.articles < 0 || pl.bytes < 0) {
      fail('ErrMalformed', 'envelope fields out of range');
    }
    if (pl.articles > L.MaxArticles) fail('ErrTooLarge', 'envelope claims ' + pl.articles + ' articles');
    const msg = S.mf.concat(SIG_CONTEXT, S.cbor.encode(pl, { binaryText: true }));
    if (!(await S.mf.verifyEd25519(pl.signer, msg, env.sig))) fail('ErrBadSignature', 'bundle signature');

    // A bundle may carry the publisher document even when the root key
    // signed it, so readers learn the newest one; it is verified either way.
    let embedded = null;
    if (pl.authority !== undefined) {
      const adata = await readBlock(b, pl.authority.cid, DAG_CBOR, L.MaxAuthoritySize);
      embedded = await S.trust.parseDocument(adata);
      if (embedded.publisher !== pl.publisher) fail('ErrWrongPublisher', 'publisher document of another publisher');
      st.meta.push(pl.authority.cid);
    }
    const known = opts.authority && opts.authority.publisher === pl.publisher ? opts.authority : null;
    const eff = newer(known, embedded);
    const seq = BigInt(pl.seq);
    if (!S.equalBytes(pl.signer, rootKey)) {
      if (!eff) fail('ErrKeyNotAuthorized', 'signed by a delegated key, no publisher document');
      S.trust.authorizeBundle(eff, pl.signer, seq);
    }
    st.meta.unshift(b.root);
    st.manifest = pl.manifest.cid;
    Object.assign(b, {
      publisher: pl.publisher, seq, signer: pl.signer, created: Number(pl.created),
      articles: pl.articles, bytes: Number(pl.bytes), authority: eff,
    });
  }

  // newer is the effective document of §7: the one with the higher seq;
  // on a tie the known one, a (either may be null).
  function newer(a, c) {
    if (!a) return c;
    if (!c || c.seq <= a.seq) return a;
    return c;
  }

  async function loadManifest(b, st) {
    const data = await readBlock(b, st.manifest, DAG_CBOR, L.MaxBlockSize);
    const m = S.cbor.struct(S.cbor.decode(data), MANIFEST, 'manifest');
    if (m.v !== FORMAT_VERSION) fail('ErrUnsupportedVersion', 'manifest version ' + m.v);
    if (m.pages.length > L.MaxPages) fail('ErrTooLarge', m.pages.length + ' manifest pages');
    st.meta.push(st.manifest);
    if (m.dict !== undefined) await loadDict(b, st, m.dict.cid);

    // Entries are admitted as they arrive, not sized by the envelope's
    // count: that is the signer's claim, checked only once pages are read.
    const spanInfo = new Map(); // block → [enc, raw]: one block, one meaning
    let total = 0;
    let manifestRaw = 0;
    let bundleSpans = 0;
    for (const page of m.pages) {
      const pdata = await readBlock(b, page.cid, DAG_CBOR, L.MaxBlockSize);
      const budget = { raw: L.MaxManifestRaw - manifestRaw, spans: MaxBundleSpans - bundleSpans };
      const { entries, raw } = decodePage(pdata, budget);
      manifestRaw += raw;
      st.meta.push(page.cid);
      for (const e of entries) {
        const [spans, size] = admit(b, st, e, spanInfo);
        bundleSpans += spans;
        total += size;
      }
    }
    if (b.entries.length !== b.articles || total !== b.bytes) {
      fail('ErrSizeMismatch', 'manifest has ' + b.entries.length + ' articles of ' + total + ' bytes, envelope says ' +
        b.articles + ' of ' + b.bytes);
    }
  }

  // loadDict reads the bundle's zstd dictionary (§9 step 12).
  async function loadDict(b, st, cid) {
    const data = await readBlock(b, cid, RAW, L.MaxDictSize);
    st.meta.push(cid);
    if (data.length < 8 || !S.equalBytes(data.subarray(0, 4), DICT_MAGIC)) {
      fail('ErrMalformed', 'dictionary is not a zstd dictionary');
    }
    st.dictID = new DataView(data.buffer, data.byteOffset + 4, 4).getUint32(0, true);
    b.dict = rethrowAs('ErrMalformed', 'dictionary', () => S.zstd.parseDictionary(data));
  }

  // ---- Pages (§9 step 13) ----

  // decodePage decodes a page block, its entries within budget (what is
  // left of MaxManifestRaw and MaxBundleSpans), and resolves the spans'
  // block indexes to CIDs. It returns the entries and their decoded size.
  function decodePage(data, budget) {
    const pg = S.cbor.struct(S.cbor.decode(data), PAGE, 'manifest page');
    if (pg.blocks.length > L.MaxPageBlocks) fail('ErrTooLarge', 'page lists ' + pg.blocks.length + ' blocks');
    const raw = pageEntries(pg.entries, budget.raw);
    const wire = decodeEntries(raw, budget.spans);

    const used = new Uint8Array(pg.blocks.length);
    const spans = (ws) =>
      ws.map(([block, enc, rawSize, off, len]) => {
        if (typeof block !== 'number' || block < 0 || block >= pg.blocks.length) {
          fail('ErrMalformed', 'span names block ' + block + ' of ' + pg.blocks.length);
        }
        used[block] = 1;
        return { block: pg.blocks[block].cid, enc, raw: rawSize, off, len };
      });
    const contentCID = (c) => {
      if (!isRawSHA256(c)) fail('ErrWrongType', 'content cid is not a raw sha2-256 cid');
      return c;
    };
    const entries = wire.map((w) => {
      const e = {
        id: w[0], title: w[1], lang: w[2], published: Number(w[3]), updated: Number(w[4]), url: w[5],
        authors: w[6], summary: w[7], contentType: w[8], size: w[9], cid: contentCID(w[10]),
        body: spans(w[11]), attachments: [],
      };
      for (const a of w[12]) {
        e.attachments.push({ name: a[0], contentType: a[1], size: a[2], cid: contentCID(a[3]), body: spans(a[4]) });
      }
      return e;
    });
    const unused = used.indexOf(0);
    if (unused >= 0) fail('ErrMalformed', 'page links block ' + S.mf.cidString(pg.blocks[unused].cid) + ' that no entry uses');
    return { entries, raw: raw.length };
  }

  // pageEntries decompresses a page's entries: exactly one zstd frame
  // with its content size, of at most MaxPageRaw and what is left of
  // MaxManifestRaw, and no dictionary.
  function pageEntries(frame, budget) {
    const h = rethrowAs('ErrMalformed', 'page entries are not a zstd frame', () => S.zstd.frameHeader(frame));
    if (h.contentSize === undefined || h.dictID !== 0) fail('ErrMalformed', 'page entries are not a plain zstd frame');
    if (h.contentSize > L.MaxPageRaw || h.contentSize > Math.max(budget, 0)) {
      fail('ErrTooLarge', 'page entries of ' + h.contentSize + ' bytes');
    }
    const end = rethrowAs('ErrMalformed', 'page entries', () => S.zstd.frameEnd(frame, 0));
    if (end !== frame.length) fail('ErrMalformed', 'page entries are not exactly one zstd frame');
    // Go's decoder refuses a window over its limit as any other error.
    if (!h.singleSegment && h.windowSize > L.MaxPageRaw) fail('ErrMalformed', 'page entries need a window of ' + h.windowSize);
    let raw;
    try {
      raw = S.zstd.decompress(frame, { maxOutput: h.contentSize, maxWindow: L.MaxPageRaw });
    } catch (e) {
      if (!(e instanceof S.VerifyError)) throw e;
      if (e.kind === 'ErrSizeMismatch') fail('ErrSizeMismatch', 'page entries expand past their declared size');
      fail('ErrMalformed', 'page entries: ' + e.message);
    }
    if (raw.length !== h.contentSize) fail('ErrMalformed', 'page entries shorter than declared');
    return raw;
  }

  // decodeEntries decodes a page's decompressed entries strictly and
  // canonically, after checking their shape: lists no longer than their
  // bytes can hold, and at most maxSpans spans.
  function decodeEntries(raw, maxSpans) {
    const spans = entriesShape(raw);
    if (spans > maxSpans) fail('ErrTooLarge', 'page entries hold ' + spans + ' spans, ' + Math.max(maxSpans, 0) + ' left');
    const wire = S.cbor.decode(raw);
    if (!Array.isArray(wire)) fail('ErrMalformed', 'page entries are not a list');
    for (let i = 0; i < wire.length; i++) S.cbor.tuple(wire[i], ENTRY, 'entry ' + i);
    return wire;
  }

  // The fewest bytes an element of each list in the entries takes: an
  // array head and a byte for each field.
  const MIN_ENTRY = 1 + 13;
  const MIN_ATTACHMENT = 1 + 5;
  const MIN_SPAN = 1 + 5;
  const MIN_STRING = 1;

  // entriesShape walks raw as an Entries value (arrays of definite length,
  // strings, byte strings and integers, in the schema's places) without
  // decoding it, refuses a list that declares more elements than the bytes
  // after its head could hold (ErrMalformed, as Go's checkEntriesShape),
  // and returns the number of spans.
  function entriesShape(raw) {
    let off = 0;
    let spans = 0;
    const bad = (msg) => fail('ErrMalformed', 'page entries: ' + msg);
    const head = (major) => {
      if (off >= raw.length) bad('unexpected end');
      const ib = raw[off++];
      if (ib >> 5 !== major) bad('major type ' + (ib >> 5) + ' where ' + major + ' belongs');
      const info = ib & 0x1f;
      if (info < 24) return info;
      if (info > 27) bad('indefinite length or reserved head');
      const n = 1 << (info - 24);
      if (raw.length - off < n) bad('unexpected end');
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + raw[off + i]; // inexact past 2^53, but then over any bound
      off += n;
      return v;
    };
    const list = (min, elem) => {
      const n = head(4);
      if (n > Math.floor((raw.length - off) / min)) bad('list of ' + n + ' elements in ' + (raw.length - off) + ' bytes');
      for (let i = 0; i < n; i++) elem();
    };
    const tuple = (...fields) => {
      if (head(4) !== fields.length) bad('tuple of the wrong length');
      for (const f of fields) f();
    };
    const bytesOf = (major) => () => {
      const n = head(major);
      if (n > raw.length - off) bad('unexpected end');
      off += n;
    };
    const text = bytesOf(3);
    const bytes = bytesOf(2);
    const int = () => head(off < raw.length && raw[off] >> 5 === 1 ? 1 : 0);
    const span = () => {
      spans++;
      tuple(int, int, int, int, int);
    };
    const attachment = () => tuple(text, text, int, bytes, () => list(MIN_SPAN, span));
    const entry = () =>
      tuple(text, text, text, int, int, text, () => list(MIN_STRING, text), text, text, int, bytes,
        () => list(MIN_SPAN, span), () => list(MIN_ATTACHMENT, attachment));
    list(MIN_ENTRY, entry);
    if (off !== raw.length) bad('bytes after the entries');
    return spans;
  }

  // admit checks one entry (the article counts, its metadata, its spans,
  // a duplicate id) and adds it; it returns its spans and its bytes, body
  // and attachments.
  function admit(b, st, e, spanInfo) {
    if (b.entries.length >= L.MaxArticles) fail('ErrTooLarge', 'more than ' + L.MaxArticles + ' articles');
    if (b.entries.length >= b.articles) fail('ErrSizeMismatch', 'manifest lists more articles than the envelope\'s ' + b.articles);
    let spans = e.body.length;
    for (const a of e.attachments) spans += a.body.length;
    checkEntry(e, spans);
    checkEntrySpans(st, e, spanInfo);
    if (b.byID.has(e.id)) fail('ErrDuplicateID', 'article id twice');
    b.byID.set(e.id, e);
    b.entries.push(e);
    let size = e.size; // all checked: Numbers
    for (const a of e.attachments) size += a.size;
    return [spans, size];
  }

  // checkEntry checks an entry's metadata against the format's bounds, as
  // Go's checkEntry (which Packer.Add applies too), in its order. Text is
  // UTF-8 already: the strict decoder saw to it.
  function checkEntry(e, spans) {
    if (e.id === '' || utf8Length(e.id) > L.MaxIDLen) fail('ErrMalformed', 'article id empty or over ' + L.MaxIDLen + ' bytes');
    if (utf8Length(e.title) > L.MaxTitleLen || utf8Length(e.lang) > L.MaxLangLen || utf8Length(e.url) > L.MaxURLLen ||
      utf8Length(e.summary) > L.MaxSummaryLen || utf8Length(e.contentType) > L.MaxContentTypeLen ||
      e.authors.length > L.MaxAuthors) {
      fail('ErrTooLarge', 'article field over its limit');
    }
    if (e.attachments.length > L.MaxAttachments) fail('ErrTooLarge', e.attachments.length + ' attachments');
    for (const a of e.authors) if (utf8Length(a) > L.MaxAuthorLen) fail('ErrTooLarge', 'author name over ' + L.MaxAuthorLen + ' bytes');
    if (spans > L.MaxSpans) fail('ErrTooLarge', spans + ' spans for the article and its attachments');
    if (articleSize(e) > MaxArticleSize) fail('ErrTooLarge', 'article and attachments over ' + MaxArticleSize + ' bytes');
    const names = new Set();
    for (const a of e.attachments) {
      if (!safeName(a.name)) {
        // Go's error matches both ErrMalformed and ErrUnsafePath.
        const err = new S.VerifyError('ErrUnsafePath', 'attachment name ' + JSON.stringify(a.name.slice(0, 80)));
        err.also = 'ErrMalformed';
        throw err;
      }
      if (names.has(a.name)) fail('ErrMalformed', 'attachment name twice');
      names.add(a.name);
      if (utf8Length(a.contentType) > L.MaxContentTypeLen) fail('ErrTooLarge', 'attachment content type over its limit');
    }
  }

  // safeName accepts a clean, relative, slash-separated attachment name
  // (§5): Go's checkName. A name Go's path.Clean leaves alone, that is not
  // absolute, ".", ".." or under "../", is one whose segments are all
  // neither empty nor "." nor "..".
  function safeName(name) {
    if (name === '' || utf8Length(name) > L.MaxNameLen || /[\\\0]/.test(name)) return false;
    return name.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
  }

  // articleSize is an article's bytes, body and attachments, as its entry
  // declares them, each clamped to 0 … MaxArticleSize+1 (so no sum grows
  // past what a Number holds exactly).
  function articleSize(e) {
    const clamp = (n) => (n < 0 ? 0 : n > MaxArticleSize ? MaxArticleSize + 1 : Number(n));
    let n = clamp(e.size);
    for (const a of e.attachments) n += clamp(a.size);
    return n;
  }

  // checkEntrySpans checks the spans of an entry's body and attachments,
  // then that reading them decodes at most MaxArticleSlack bytes beyond
  // the article's own.
  function checkEntrySpans(st, e, spanInfo) {
    checkSpans(st, e.size, e.body, spanInfo);
    for (const a of e.attachments) checkSpans(st, a.size, a.body, spanInfo);
    let decoded = 0; // each raw ≤ MaxBlockRaw, spans ≤ MaxSpans: exact
    for (const s of e.body) decoded += s.raw;
    for (const a of e.attachments) for (const s of a.body) decoded += s.raw;
    if (decoded > articleSize(e) + MaxArticleSlack) fail('ErrTooLarge', 'spans name ' + decoded + ' bytes of blocks');
  }

  // checkSpans checks what can be checked without reading content: every
  // block is present (from a file) and a raw block, the declared sizes fit
  // and add up, one block has one (enc, raw). Integers beyond 2^53 are
  // BigInts, so each comparison is made before any arithmetic on them.
  function checkSpans(st, size, spans, spanInfo) {
    let sum = 0;
    for (const s of spans) {
      const n = st.sizeOf(s.block);
      if (n === undefined) fail('ErrMissingBlock', S.mf.cidString(s.block));
      if (!isRawSHA256(s.block)) fail('ErrWrongType', 'content block is not a raw block');
      if (s.raw < 0 || s.raw > L.MaxBlockRaw || s.off < 0 || s.len < 0 || s.off > s.raw || s.len > s.raw - s.off) {
        fail('ErrSizeMismatch', 'span outside its block');
      }
      if (s.enc === ENC_NONE) {
        if (n >= 0 && n !== s.raw) fail('ErrSizeMismatch', 'stored block is ' + n + ' bytes, manifest says ' + s.raw);
      } else if (s.enc !== ENC_ZSTD) {
        fail('ErrUnsupportedVersion', 'unknown encoding ' + s.enc);
      }
      const k = key(s.block);
      const prev = spanInfo.get(k);
      if (prev && (prev[0] !== s.enc || prev[1] !== s.raw)) fail('ErrSizeMismatch', 'block declared with two sizes');
      spanInfo.set(k, [s.enc, s.raw]);
      sum += s.len;
    }
    if (sum !== size || size < 0) fail('ErrSizeMismatch', 'spans hold ' + sum + ' bytes, manifest says ' + size);
  }

  // ---- Blocks (§4, §9) ----

  // blocks lists the bundle's blocks in canonical order: envelope,
  // publisher document, manifest, dictionary, pages, then the content
  // blocks by entry (body, then attachments), each once.
  function blocks(b) {
    const st = internals.get(b);
    if (!st.blocks) {
      const seen = new Set();
      const out = [];
      const add = (c) => {
        const k = key(c);
        if (!seen.has(k)) {
          seen.add(k);
          out.push(c);
        }
      };
      st.meta.forEach(add);
      for (const e of b.entries) {
        for (const s of e.body) add(s.block);
        for (const a of e.attachments) for (const s of a.body) add(s.block);
      }
      st.blocks = out;
    }
    return st.blocks.slice();
  }

  // contentBlocks lists the content blocks one article needs, each once,
  // in the order reading it asks for them: its body's, then (with
  // attachments) each attachment's.
  function contentBlocks(bundle, entry, { attachments = false } = {}) {
    const e = verified(bundle, entry);
    const seen = new Set();
    const out = [];
    const add = (spans) => {
      for (const s of spans) {
        const k = key(s.block);
        if (!seen.has(k)) {
          seen.add(k);
          out.push(s.block);
        }
      }
    };
    add(e.body);
    if (attachments) for (const a of e.attachments) add(a.body);
    return out;
  }

  // ---- Content (§8; §9 step 15) ----

  // blockContent reads a content block and decodes it, never producing
  // more than the span's declared size.
  async function blockContent(b, s) {
    const data = await readBlock(b, s.block, RAW, L.MaxBlockSize);
    if (s.enc === ENC_NONE) {
      if (data.length !== s.raw) fail('ErrSizeMismatch', 'stored block is ' + data.length + ' bytes, manifest says ' + s.raw);
      return data;
    }
    const st = internals.get(b);
    const h = rethrowAs('ErrMalformed', 'content block is not a zstd frame', () => S.zstd.frameHeader(data));
    if (h.contentSize === undefined || h.contentSize !== s.raw) {
      fail('ErrSizeMismatch', 'zstd frame declares ' + h.contentSize + ' bytes, manifest ' + s.raw);
    }
    if (!h.singleSegment && h.windowSize > L.MaxZstdWindow) fail('ErrTooLarge', 'zstd window of ' + h.windowSize + ' bytes');
    if (h.dictID !== 0 && (b.dict === null || h.dictID !== st.dictID)) fail('ErrMalformed', 'zstd frame wants dictionary ' + h.dictID);
    const end = rethrowAs('ErrMalformed', 'content block', () => S.zstd.frameEnd(data, 0));
    if (end !== data.length) fail('ErrMalformed', 'content block is not exactly one zstd frame');
    let raw;
    try {
      // A frame without a dictionary ID is decoded without one, as Go's
      // decoder does.
      const dict = h.dictID !== 0 ? b.dict : undefined;
      raw = S.zstd.decompress(data, { dict, maxOutput: s.raw, maxWindow: L.MaxZstdWindow });
    } catch (e) {
      if (!(e instanceof S.VerifyError)) throw e;
      if (e.kind === 'ErrSizeMismatch') fail('ErrSizeMismatch', 'zstd frame expands past ' + s.raw + ' bytes');
      fail('ErrMalformed', 'zstd: ' + e.message);
    }
    // Go's decoder refuses a frame that ends short of its content size.
    if (raw.length !== s.raw) fail('ErrMalformed', 'zstd frame holds ' + raw.length + ' bytes, declares ' + s.raw);
    return raw;
  }

  // content reads and checks what spans describe: each block checked
  // against its CID, the whole against the content CID. cache keeps the
  // last decoded block, so consecutive spans of a cluster decode it once.
  // As Go's Reader, the content is checked once its last span with bytes
  // is read; later empty spans are still read.
  async function content(b, cid, size, spans, cache = {}) {
    let last = spans.length - 1;
    while (last >= 0 && spans[last].len === 0) last--;
    const chunks = [];
    let out = null;
    const check = async () => {
      if (out) return;
      out = S.mf.concat(...chunks);
      if (!S.equalBytes(await S.mf.sha256(out), cid.subarray(4))) fail('ErrHashMismatch', 'content does not match ' + S.mf.cidString(cid));
    };
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      const k = key(s.block);
      if (cache.key !== k) {
        cache.raw = await blockContent(b, s);
        cache.key = k;
      }
      if (!out) chunks.push(cache.raw.subarray(s.off, s.off + s.len));
      if (i === last) await check();
    }
    await check();
    return out;
  }

  // verified returns the bundle's own entry of the article entry names:
  // content is read by the spans the bundle verified, whatever object the
  // caller holds.
  function verified(b, entry) {
    const e = internals.has(b) && entry ? b.byID.get(entry.id) : undefined;
    if (!e) fail('ErrNotFound', 'no such article');
    return e;
  }

  // body returns an article's body, exactly the bytes the publisher packed,
  // reading only that article's blocks.
  async function body(b, entry) {
    const e = verified(b, entry);
    return content(b, e.cid, e.size, e.body);
  }

  // attachment returns one attachment of an article (att: one of
  // entry.attachments, or its name).
  async function attachment(b, entry, att) {
    const name = typeof att === 'string' ? att : att && att.name;
    const a = verified(b, entry).attachments.find((x) => x.name === name);
    if (!a) fail('ErrNotFound', 'no such attachment');
    return content(b, a.cid, a.size, a.body);
  }

  // verifyAll reads every article and attachment and checks it (step 15
  // over all, Go's Verify); the packer writes a cluster's articles in a
  // row, so the last block is kept from one body to the next.
  async function verifyAll(b) {
    const cache = {};
    for (const e of b.entries) {
      await content(b, e.cid, e.size, e.body, cache);
      for (const a of e.attachments) await content(b, a.cid, a.size, a.body);
    }
  }

  S.bundle = { open, openCAR, body, attachment, contentBlocks, verifyAll, carHeader };
})(globalThis.samizdat ||= {});
