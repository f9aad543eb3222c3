// net: where the reader's bytes come from. It asks mirrors (the page's own
// origin first, then the others it knows) for heads, catalogs and blocks,
// checks every object before it is used (S.trust, S.bundle, S.mf.checkBlock)
// and on any failure (unreachable, an HTTP error, bytes that do not verify)
// asks the next mirror for that object. Nothing unverified leaves this file.
//
// Two kinds of mirror (docs/protocol.md §8.2): a "gateway" (samizdat serve
// --http, or any IPFS trustless gateway) answers one block per request
// (GET ipfs/<cid>?format=raw); a "static" copy (publish-static on any web
// host) holds each bundle as one file, ipfs/<root>, and beside it an index,
// samizdat/index/<root>, of where each block lies in it, so one article
// costs byte ranges of its own blocks, not the whole bundle.
//
// Mirrors come from the page (its own origin, the mirrors it lists), the
// reader (added in the settings) and the publishers: each verified
// publisher document may list https mirrors, which are learned for that
// publisher and kept in the store, as is when each mirror last worked and
// last failed, so that a reload still tries first what worked.
(function (S) {
  'use strict';

  const L = S.limits;
  // Per-request bounds. A phone on a slow, watched line may take long; a
  // mirror that sends nothing for this long is passed over.
  const REQUEST_TIMEOUT_MS = 20000;
  // An index record: u64 offset, u32 length, big endian (protocol.md §8.2).
  const INDEX_RECORD = 12;
  // Index records fetched at once: a bundle's metadata blocks come first
  // in its file, so one request usually covers them all.
  const INDEX_CHUNK = 256;
  // Bundles of a catalog whose metadata the reader may open, newest first:
  // a catalog page's worth. A publisher's daily job puts only new and
  // corrected articles in each bundle, so the reader opens bundles until it
  // holds WANT_ARTICLES articles or has opened MAX_BUNDLES, OPEN_PARALLEL at
  // a time after the newest (whose document the others are checked with).
  const MAX_BUNDLES = 64;
  const WANT_ARTICLES = 500;
  const OPEN_PARALLEL = 4;
  // Content blocks of one article fetched at once.
  const FETCH_PARALLEL = 4;
  // Mirrors learned from one publisher's document: the format's own bound
  // (bundle-format.md §7), kept here too since the store outlives the page.
  const MAX_LEARNED = 64;
  // A mirror's outcome is written to the store when it changes, else at
  // most this often: a block costs no store write, and the times kept are
  // never more than this stale.
  const HEALTH_SAVE_MS = 60000;

  class Unreachable extends Error {
    constructor(what, tried) {
      super(what + ': no mirror answered (' + tried.map((t) => t.url + ': ' + t.error).join('; ') + ')');
      this.name = 'Unreachable';
      this.tried = tried;
    }
  }

  // exclusive runs fn holding the lock name across the origin's tabs and
  // workers (Web Locks), and returns what it returns. A browser without
  // Web Locks (before Safari 15.4, Firefox 96) runs fn as it is.
  function exclusive(name, fn) {
    const locks = globalThis.navigator && globalThis.navigator.locks;
    return locks ? locks.request(name, fn) : fn();
  }

  // base turns a mirror URL into an absolute base ending in '/'.
  function base(url) {
    const u = new URL(url, globalThis.location ? globalThis.location.href : undefined);
    u.search = '';
    u.hash = '';
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    return u.href;
  }

  // fetchBytes GETs url and returns its body, at most max bytes (a longer
  // body is refused, and not read past max). status: the HTTP statuses
  // taken as an answer. The page's CSP limits which origins it may reach.
  async function fetchBytes(url, { accept, range, max, statuses = [200], short = false }) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
    try {
      const headers = {};
      if (accept) headers.Accept = accept;
      if (range) headers.Range = 'bytes=' + range[0] + '-' + (range[1] - 1);
      const res = await fetch(url, {
        headers, signal: ctl.signal, credentials: 'omit', referrerPolicy: 'no-referrer',
        cache: 'no-cache', redirect: 'follow',
      });
      if (!statuses.includes(res.status)) {
        if (res.body) res.body.cancel().catch(() => {});
        const e = new Error('HTTP ' + res.status);
        e.status = res.status;
        throw e;
      }
      // A host that ignores Range answers 200 with the whole file: read
      // it up to the end of the range, keeping only the range (the file
      // before it may be as long as the host likes).
      if (range && res.status === 200) {
        const out = await readRange(res.body, range[0], range[1]);
        // short: a range past the end of the file is answered with what
        // there is (an index's last records).
        if (out.length < range[1] - range[0] && !short) throw new Error('short file');
        return out;
      }
      const declared = Number(res.headers.get('Content-Length'));
      if (declared > max) {
        res.body.cancel().catch(() => {});
        S.fail('ErrTooLarge', 'response of ' + declared + ' bytes');
      }
      const out = await readAtMost(res.body, max);
      if (range && out.length !== range[1] - range[0] && !(short && out.length < range[1] - range[0])) {
        throw new Error('wrong range length');
      }
      return out;
    } finally {
      clearTimeout(timer);
    }
  }

  // readAtMost reads a body stream of at most limit bytes (more is
  // ErrTooLarge, and not read).
  async function readAtMost(stream, limit) {
    const reader = stream.getReader();
    const chunks = [];
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
      if (n > limit) {
        reader.cancel().catch(() => {});
        S.fail('ErrTooLarge', 'response over ' + limit + ' bytes');
      }
    }
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  // readRange reads bytes [from, to) of a body stream, dropping those
  // before as they come and reading nothing after; fewer if it ends first.
  async function readRange(stream, from, to) {
    const reader = stream.getReader();
    const out = new Uint8Array(to - from);
    let pos = 0; // stream offset of the next chunk
    while (pos < to) {
      const { done, value } = await reader.read();
      if (done) break;
      const a = Math.max(from - pos, 0);
      const b = Math.min(to - pos, value.length);
      if (b > a) out.set(value.subarray(a, b), pos + a - from);
      pos += value.length;
    }
    if (pos >= to) reader.cancel().catch(() => {});
    return out.subarray(0, Math.min(Math.max(pos - from, 0), to - from));
  }

  // ---- Mirror lists from publisher documents ----

  // An https mirror entry, in the part of Go's grammar this reader takes:
  // a host name or bracketed IPv6 address, an optional port, and a path
  // of characters that Go's NormalizeMirror writes back unchanged and that
  // can neither end nor widen a CSP source. No user information, query,
  // fragment or percent-escapes. Go's node.ParseMirror may accept more
  // (an escaped path, say); such a mirror is not learned here, and the
  // page lists it anyway when its server learned it.
  const HTTPS_MIRROR = /^https:\/\/([A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(\/[A-Za-z0-9._~$&+=:@\/-]*)?$/;

  // httpsMirror reads one entry of a document's mirror list as Go's
  // node.ParseMirror and then reader.NormalizeMirror do for an https
  // mirror: the base URL with one trailing slash, as the served page's
  // CSP lists it; null for any other kind (libp2p addresses, which a
  // browser cannot dial, plain http, kinds of later versions) and for
  // what they refuse.
  function httpsMirror(entry) {
    const m = typeof entry === 'string' && HTTPS_MIRROR.exec(entry);
    if (!m) return null;
    let path = m[3] || '';
    // A dot segment the browser would resolve away, while the CSP source
    // keeps it: the two would name different paths.
    if (path.split('/').some((seg) => seg === '.' || seg === '..')) return null;
    if (path.endsWith('/')) path = path.slice(0, -1); // ParseMirror's TrimSuffix
    if (!path.endsWith('/')) path += '/'; // NormalizeMirror's
    const url = 'https://' + m[1] + (m[2] || '') + path;
    try {
      new URL(url); // a port past 65535, a bracket that is no IPv6 address
    } catch (e) {
      return null;
    }
    return url;
  }

  // learnable is the https mirrors of a document's list, in its order,
  // each once.
  function learnable(entries) {
    const out = [];
    for (const e of entries || []) {
      const u = httpsMirror(e);
      if (u && !out.includes(u)) out.push(u);
      if (out.length >= MAX_LEARNED) break;
    }
    return out;
  }

  // ---- The page's Content-Security-Policy ----

  // pageCSP returns the policies of the page's CSP meta elements (the
  // served page and the single file each carry one); none outside a page.
  function pageCSP() {
    if (typeof document === 'undefined' || !document.querySelectorAll) return [];
    return [...document.querySelectorAll('meta[http-equiv]')]
      .filter((el) => el.httpEquiv.toLowerCase() === 'content-security-policy')
      .map((el) => el.content);
  }

  const defaultPort = (scheme) => ({ 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' })[scheme] || '';

  function decodePath(p) {
    try {
      return decodeURIComponent(p);
    } catch (e) {
      return p;
    }
  }

  // sourceMatches is CSP's "does url match source expression" for the
  // forms a policy lists (CSP Level 3 §6.7.2.8): 'none', 'self', *, a
  // scheme, a host with optional scheme, port and path. Keywords it does
  // not know match nothing, so a doubtful mirror is not tried.
  function sourceMatches(src, url, page) {
    const s = src.toLowerCase();
    const httpish = url.protocol === 'http:' || url.protocol === 'https:';
    if (s === "'self'") return !!page && url.origin === page.origin;
    if (s === '*') return httpish;
    if (/^[a-z][a-z0-9+.-]*:$/.test(s)) return url.protocol === s || (s === 'http:' && url.protocol === 'https:');
    // Scheme and host match in any case, the path exactly.
    const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*|(?:\*\.)?[^:/[\]]+|\[[0-9a-f:.]+\])(?::(\*|[0-9]+))?(\/.*)?$/i.exec(src);
    if (!m || s.startsWith("'")) return false;
    const [, scheme, hostSrc, port, path] = m;
    const host = hostSrc.toLowerCase();
    const srcScheme = scheme ? scheme.toLowerCase() + ':' : page ? page.protocol : '';
    const upgrade = srcScheme === 'http:' && url.protocol === 'https:';
    if (url.protocol !== srcScheme && !upgrade) return false;
    const h = url.hostname.toLowerCase();
    if (host.startsWith('*.') ? !h.endsWith(host.slice(1)) : host !== '*' && host !== h) return false;
    const urlPort = url.port || defaultPort(url.protocol);
    if (port !== '*') {
      const want = port || defaultPort(srcScheme);
      if (want !== urlPort && !(upgrade && !port && urlPort === '443')) return false;
    }
    if (path) {
      const p = decodePath(path);
      const u = decodePath(url.pathname);
      return p.endsWith('/') ? u.startsWith(p) : u === p;
    }
    return true;
  }

  // cspAllows tells whether every policy lets the page fetch url: its
  // connect-src (else default-src) lists a source url matches. A policy
  // without either allows it. page: the page's own URL ('self').
  function cspAllows(policies, url, page) {
    let u, p;
    try {
      u = new URL(url);
      p = page ? new URL(page) : null;
    } catch (e) {
      return false;
    }
    return policies.every((policy) => {
      const dirs = new Map();
      for (const d of String(policy).split(';')) {
        const [name, ...sources] = d.trim().split(/\s+/);
        const n = (name || '').toLowerCase();
        if (n && !dirs.has(n)) dirs.set(n, sources); // the first one counts
      }
      const list = dirs.get('connect-src') || dirs.get('default-src');
      return !list || list.some((src) => sourceMatches(src, u, p));
    });
  }

  // ---- The order mirrors are tried in ----

  function randomUnit() {
    return crypto.getRandomValues(new Uint32Array(1))[0] / 2 ** 32;
  }

  // outcome ranks a mirror by what it last did: 0 worked, 1 never tried,
  // 2 failed.
  function outcome(m) {
    if (m.lastOK && m.lastOK >= (m.lastFail || 0)) return 0;
    return m.lastFail ? 2 : 1;
  }

  // orderMirrors is the order the next object is asked for: by score (a
  // session's running tally: the page's own origin starts ahead, each
  // success adds, each failure takes more), then those that worked,
  // latest success first; then those never tried, in a random order, so
  // readers spread over a publisher's list and a censor cannot know the
  // first try; then those that failed, oldest failure first. The times
  // come from the store, so a reload keeps the order that worked.
  function orderMirrors(list, random = randomUnit) {
    const key = new Map(list.map((m) => [m, random()]));
    const within = (a, b, r) => (r === 0 ? b.lastOK - a.lastOK : r === 2 ? a.lastFail - b.lastFail : key.get(a) - key.get(b));
    return [...list].sort((a, b) => b.score - a.score || outcome(a) - outcome(b) || within(a, b, outcome(a)));
  }

  class Net {
    // opts: csp, the page's policies (default: its meta elements); page,
    // its URL (default: location); random, for the order of untried
    // mirrors (tests).
    constructor(config, store, opts = {}) {
      this.store = store;
      this.mirrors = [];
      this.health = new Map(); // url → {url, lastOK, lastFail} from the store
      this.removed = new Set(); // urls the reader removed: never learned back
      this.policies = opts.csp !== undefined ? [].concat(opts.csp || []) : pageCSP();
      this.page = opts.page !== undefined ? opts.page : globalThis.location ? globalThis.location.href : null;
      this.random = opts.random || randomUnit;
      const self = config.self || {};
      if (self.base != null) this._add(self.base, self.kind || 'auto', 'own');
      for (const m of config.mirrors || []) this._add(m.url, m.kind || 'auto', 'page');
      this.fetching = new WeakMap(); // bundle → its blocks being prefetched (prefetched)
      this.say = () => {}; // the onStatus of the follow under way
      this.headGrace = HEAD_GRACE_MS;
    }

    // _add puts a mirror in the pool (source: 'own', 'page', 'user' or
    // 'learned') unless it is there, and returns its entry.
    _add(url, kind, source) {
      const b = base(url);
      const had = this.mirrors.find((m) => m.url === b);
      if (had) return had;
      const own = source === 'own';
      const m = {
        url: b, kind, own, source, lastOK: 0, lastFail: 0, lastError: '', score: own ? 1 : 0,
        learned: false, // a verified publisher document lists it
        pubs: new Set(), // the publishers whose documents list it
        blocked: false, // learned, but the page's CSP does not let it be fetched
        saved: null, // the outcome last written to the store, and when
      };
      this._applyHealth(m);
      this.mirrors.push(m);
      return m;
    }

    _applyHealth(m) {
      const h = this.health.get(m.url);
      if (!h) return;
      m.lastOK = Math.max(m.lastOK, Number(h.lastOK) || 0);
      m.lastFail = Math.max(m.lastFail, Number(h.lastFail) || 0);
    }

    mirrorList() {
      return this.mirrors.map(({ url, kind, lastOK, lastFail, lastError, source, learned, blocked }) =>
        ({ url, kind, lastOK, lastFail, lastError, source, learned, blocked }));
    }

    addMirror(url) {
      const m = this._add(url, 'auto', 'user');
      if (m.source === 'learned') m.source = 'user';
      this.removed.delete(m.url);
    }

    removeMirror(url) {
      const b = base(url);
      this.removed.add(b);
      this.mirrors = this.mirrors.filter((m) => m.url !== b || m.own);
    }

    // allowed tells whether the page may fetch from a mirror at all.
    allowed(url) {
      return cspAllows(this.policies, url, this.page);
    }

    // load reads what the store remembers: when each mirror last worked
    // and failed, and the mirrors learned from each publisher's newest
    // document. The store is a cache: without it the page's mirrors serve.
    async load() {
      const st = this.store;
      if (!st || !st.allHealth) return;
      try {
        for (const h of await st.allHealth()) this.health.set(h.url, h);
        for (const m of this.mirrors) this._applyHealth(m);
        // Checked again: the store may have been written by another version.
        for (const rec of await st.allLearned()) this._learn(rec.pub, learnable(Array.isArray(rec.urls) ? rec.urls : []));
        // Times of mirrors no list names any more are dropped: the store
        // holds no more records than the pool has mirrors.
        const gone = [...this.health.keys()].filter((u) => !this.mirrors.some((m) => m.url === u));
        if (gone.length) await st.dropHealth(gone);
      } catch (e) {
        // not remembered; the page's own list stands
      }
    }

    // learn takes the https mirrors of a verified publisher document as
    // pub's learned mirrors, now and in the store, unless the store has a
    // list from a newer document. Call it only with a document that
    // verified (a head kept as the mark, a bundle that opened).
    async learn(pub, doc) {
      if (!doc) return;
      const rec = { pub, seq: String(doc.seq), urls: learnable(doc.mirrors) };
      const st = this.store && this.store.getLearned ? this.store : null;
      try {
        const held = st && (await st.getLearned(pub));
        if (held && BigInt(held.seq) > doc.seq) return; // learned from a newer document already
        const same = held && held.seq === rec.seq && held.urls.join(' ') === rec.urls.join(' ');
        if (st && !same) await st.putLearned(rec);
      } catch (e) {
        // not kept: learned for this page only
      }
      this._learn(pub, rec.urls);
    }

    // _learn makes urls pub's learned mirrors in the pool: those of its
    // older list no longer listed leave it (unless the page or the reader
    // lists them). A mirror the page's CSP does not allow is kept but not
    // tried: the browser would refuse the request anyway, and each refusal
    // would count as the mirror's failure, in the store too, where a later
    // page whose CSP allows it would then try it last.
    _learn(pub, urls) {
      const want = new Set();
      for (const u of urls.slice(0, MAX_LEARNED)) {
        try {
          want.add(base(u));
        } catch (e) {
          // not a URL
        }
      }
      for (const m of this.mirrors) {
        if (!m.pubs.has(pub) || want.has(m.url)) continue;
        m.pubs.delete(pub);
        m.learned = m.pubs.size > 0;
      }
      this.mirrors = this.mirrors.filter((m) => m.source !== 'learned' || m.pubs.size > 0);
      for (const u of want) {
        if (this.removed.has(u)) continue;
        const m = this._add(u, 'auto', 'learned');
        if (m.source === 'learned') m.blocked = !this.allowed(u);
        m.pubs.add(pub);
        m.learned = true;
      }
    }

    // usable tells whether m may be asked for pub's objects. A learned
    // mirror serves only the publishers that list it: asking it for
    // another's would cost a request and tell it what the reader reads.
    usable(m, pub) {
      return m.source !== 'learned' || (!m.blocked && pub !== undefined && m.pubs.has(pub));
    }

    // ordered: the mirrors to try for pub's next object (orderMirrors).
    ordered(pub) {
      return orderMirrors(this.mirrors.filter((m) => this.usable(m, pub)), this.random);
    }

    _ok(m) {
      m.lastOK = Date.now();
      m.lastError = '';
      m.score = Math.min(m.score + 1, 5);
      this._save(m, true);
    }

    _bad(m, err) {
      m.lastError = String((err && err.message) || err);
      m.lastFail = Date.now();
      m.score = Math.max(m.score - 2, -5);
      this._save(m, false);
    }

    // _save writes a mirror's times to the store when its outcome changed,
    // or at most every HEALTH_SAVE_MS.
    _save(m, ok) {
      const now = Date.now();
      if (m.saved && m.saved.ok === ok && now - m.saved.at < HEALTH_SAVE_MS) return;
      m.saved = { ok, at: now };
      const rec = { url: m.url, lastOK: m.lastOK, lastFail: m.lastFail };
      this.health.set(m.url, rec);
      if (this.store && this.store.putHealth) this.store.putHealth(rec).catch(() => {});
    }

    // tryEach calls get(mirror) for each of pub's mirrors in turn until one
    // returns a value that verifies (get checks it); what failed is in the
    // error.
    async tryEach(what, get, pub) {
      const tried = [];
      let verifyErr = null;
      const mirrors = this.ordered(pub);
      for (const [i, m] of mirrors.entries()) {
        try {
          const v = await get(m);
          this._ok(m);
          return { value: v, mirror: m };
        } catch (e) {
          this._bad(m, e);
          tried.push({ url: m.url, error: String(e.message || e) });
          if (e instanceof S.VerifyError) {
            e.mirror ??= m.url;
            verifyErr ??= e;
          }
          if (i + 1 < mirrors.length) this.say('retry', { mirror: m.url, error: e });
        }
      }
      const u = new Unreachable(what, tried);
      u.verifyError = verifyErr;
      throw u;
    }

    // fetchHead asks one mirror for a publisher's head (protocol.md §8.2:
    // samizdat/heads/P, and only on a 404 the IPNS record) and checks it.
    async fetchHead(m, pub) {
      let bytes;
      try {
        bytes = await fetchBytes(m.url + 'samizdat/heads/' + pub,
          { accept: 'application/vnd.samizdat.head', max: L.MaxHeadSize });
      } catch (e) {
        // A 404, or a failure with no status at all: an IPFS gateway
        // answers a path it does not know with a 404 that carries no CORS
        // headers, which a browser reports as a network error.
        if (e.status !== 404 && !(e instanceof TypeError)) throw e;
        bytes = await fetchBytes(m.url + 'ipns/' + pub + '?format=ipns-record',
          { accept: 'application/vnd.ipfs.ipns-record', max: L.MaxHeadSize });
      }
      return S.trust.parseHead(bytes, pub, { now: Date.now() });
    }

    // newestHead asks every mirror at once and keeps the newest head by
    // the one head rule (S.trust.supersedes), starting from the stored
    // one: a mirror can hold a reader back no further than its last visit.
    async newestHead(pub, onStatus) {
      let held = null;
      const stored = await this.store.getHead(pub);
      if (stored) {
        try {
          held = await S.trust.parseHead(stored, pub, { now: Date.now() });
        } catch (e) {
          held = null; // a stored head that no longer parses is no mark
        }
      }
      const mirrors = this.ordered(pub);
      const results = await settleSoon(mirrors.map((m) => this.fetchHead(m, pub)), this.headGrace);
      let from = null;
      let answered = null; // a mirror that answered with a valid head, older or not
      let forged = null; // the first answer that did not verify
      const tried = [];
      results.forEach((r, i) => {
        const m = mirrors[i];
        if (r.status !== 'fulfilled') {
          if (r.status === 'rejected') this._bad(m, r.reason);
          if (r.status === 'rejected' && r.reason instanceof S.VerifyError) {
            r.reason.mirror ??= m.url;
            forged ??= r.reason;
            // Said even when another mirror's head verifies: a mirror
            // that forges is worth knowing about, not only one that lags.
            onStatus && onStatus('forged', { mirror: m.url, kind: r.reason.kind });
          }
          const why = r.status === 'rejected' ? String(r.reason.message || r.reason) : 'too slow';
          tried.push({ url: m.url, error: why });
          return;
        }
        this._ok(m);
        answered ??= m;
        const verdict = S.trust.supersedes(held, r.value);
        if (verdict === null) {
          held = r.value;
          from = m;
        } else if (verdict === 'same' && !from) {
          from = m;
        } else if (verdict !== 'same') {
          onStatus && onStatus('refused', { mirror: m.url, kind: verdict });
        }
      });
      // Every mirror that answered offered an older head (or another at
      // the stored number): the stored head stands, and its content is
      // asked of them as of any mirror.
      if (!from && held && answered) from = answered;
      if (!from) {
        const u = new Unreachable('head', tried);
        u.stored = held;
        u.verifyError = forged;
        throw u;
      }
      return { head: held, mirror: from };
    }

    // storeHead stores head as the publisher's high-water mark, unless the
    // store holds a newer one by now (another tab of the app followed the
    // same publisher meanwhile): the mark never goes back.
    async storeHead(pub, head) {
      // Read, compare and write as one step across the origin's tabs: two
      // tabs interleaving them could write the older head last.
      return exclusive('samizdat head ' + pub, async () => {
        const stored = await this.store.getHead(pub);
        if (stored) {
          try {
            const cur = await S.trust.parseHead(stored, pub, { now: Date.now() });
            if (S.trust.supersedes(cur, head) !== null) return;
          } catch (e) {
            // a stored head that no longer parses is no mark (as Go's rule)
          }
        }
        await this.store.putHead(pub, head.bytes);
      });
    }

    // block fetches one block of pub by CID from any of its mirrors,
    // checked against the CID. Verified metadata blocks are kept in the
    // store, so a return visit fetches only what changed.
    async block(cid, codec, max, locate, pub) {
      const key = S.mf.cidString(cid);
      const cached = await this.store.getBlock(key);
      if (cached) {
        try {
          await S.mf.checkBlock(cid, cached, codec, max);
          return cached;
        } catch (e) {
          // a damaged store entry: fetch it again
        }
      }
      const { value } = await this.tryEach('block ' + key, async (m) => {
        const data = await this.fetchBlock(m, cid, key, max, locate);
        await S.mf.checkBlock(cid, data, codec, max);
        return data;
      }, pub);
      return value;
    }

    async fetchBlock(m, cid, key, max, locate) {
      let unknown = false;
      if (locate) {
        let isStatic;
        try {
          isStatic = await this.isStatic(m, locate.root);
        } catch (e) {
          // A cross-origin 404 without CORS headers (a samizdat gateway's
          // reader page answers the index path so) reads as a network
          // error, like a mirror that is down: the block request decides.
          if (!(e instanceof TypeError)) throw e;
          unknown = true;
        }
        if (isStatic) {
          const pos = locate.position(cid);
          if (pos >= 0) return this.rangeBlock(m, locate.root, pos, max);
        }
      }
      // A gateway; and on a static copy the objects named by content
      // (catalogs, documents) are files of their own under ipfs/.
      const data = await fetchBytes(m.url + 'ipfs/' + key + '?format=raw', { accept: 'application/vnd.ipld.raw', max });
      // It answers a bundle's block by CID: a gateway (a static copy holds
      // bundle files, not their blocks).
      if (unknown && m.kind === 'auto') m.kind = 'gateway';
      return data;
    }

    // isStatic tells a static copy from a gateway by the bundle index that
    // only a static copy has; the answer is kept per mirror.
    async isStatic(m, root) {
      if (m.kind === 'static') return true;
      if (m.kind === 'gateway') return false;
      try {
        await this.indexRecords(m, root, 0, 1);
        m.kind = 'static';
      } catch (e) {
        if (e.status !== 404 && e.status !== 400) throw e;
        m.kind = 'gateway';
      }
      return m.kind === 'static';
    }

    // indexRecords returns records [from, from+n) of a bundle's index on a
    // static mirror, fetched by range in chunks and kept.
    async indexRecords(m, root, from, n) {
      m.index ||= new Map();
      const rootKey = S.mf.cidString(root);
      let idx = m.index.get(rootKey);
      if (!idx) m.index.set(rootKey, (idx = new Map()));
      const chunk = Math.floor(from / INDEX_CHUNK);
      if (!idx.has(chunk)) {
        const start = chunk * INDEX_CHUNK * INDEX_RECORD;
        const url = m.url + 'samizdat/index/' + rootKey;
        // The last chunk is shorter: the host answers what it has.
        const bytes = await fetchBytes(url, {
          range: [start, start + INDEX_CHUNK * INDEX_RECORD], statuses: [206, 200],
          max: INDEX_CHUNK * INDEX_RECORD, short: true,
        });
        idx.set(chunk, bytes);
      }
      const bytes = idx.get(chunk);
      const at = (from - chunk * INDEX_CHUNK) * INDEX_RECORD;
      if (at + n * INDEX_RECORD > bytes.length) S.fail('ErrMissingBlock', 'not in the bundle index');
      const dv = new DataView(bytes.buffer, bytes.byteOffset + at, n * INDEX_RECORD);
      const out = [];
      for (let i = 0; i < n; i++) {
        const off = Number(dv.getBigUint64(i * INDEX_RECORD));
        const len = dv.getUint32(i * INDEX_RECORD + 8);
        out.push([off, len]);
      }
      return out;
    }

    async rangeBlock(m, root, pos, max) {
      const [[off, len]] = await this.indexRecords(m, root, pos, 1);
      if (len > max) S.fail('ErrTooLarge', 'block of ' + len + ' bytes');
      return fetchBytes(m.url + 'ipfs/' + S.mf.cidString(root), {
        range: [off, off + len], statuses: [206, 200], max: len,
      });
    }

    // locator tells a static mirror where a bundle's blocks are: the
    // metadata blocks by the order S.bundle.open asks for them, which is
    // the file's (bundle-format.md §4, §9: envelope, document, manifest,
    // dictionary, pages), each new one in the next place; the content
    // blocks by their place in the verified block list. Every block asked
    // for is noted, also one the store holds (then never fetched), so the
    // places after it stay right.
    locator(root) {
      let positions = new Map(); // CID string → place in the bundle file
      return {
        root,
        asked(cid) {
          const k = S.mf.cidString(cid);
          if (!positions.has(k)) positions.set(k, positions.size);
        },
        position(cid) {
          const p = positions.get(S.mf.cidString(cid));
          return p === undefined ? -1 : p;
        },
        settle(bundle) {
          positions = new Map(bundle.blocks().map((c, i) => [S.mf.cidString(c), i]));
        },
      };
    }

    // keep stores a verified block for the next visit. The store is a
    // cache: one that cannot keep it (full, refused) costs that visit a
    // fetch, and this one nothing.
    async keep(cid, data) {
      try {
        await this.store.putBlock(S.mf.cidString(cid), data);
      } catch (e) {
        // not kept
      }
    }

    // openBundle verifies a bundle's metadata (S.bundle.open), fetching its
    // blocks from the mirrors, and keeps those blocks in the store.
    async openBundle(pub, root, authority) {
      const loc = this.locator(root);
      const metadata = [];
      const getBlock = async (cid, codec, max) => {
        loc.asked(cid);
        const data = await this.block(cid, codec, max, loc, pub);
        metadata.push([cid, data]);
        return data;
      };
      const b = await S.bundle.open(root, getBlock, { publisher: pub, authority });
      loc.settle(b);
      for (const [cid, data] of metadata) await this.keep(cid, data);
      // Content is fetched by article, never kept as blocks.
      b.getBlock = (cid, codec, max) => this.block(cid, codec, max, loc, pub);
      return b;
    }

    // follow brings a publisher up to date: the newest head any mirror has
    // (never older than the stored one), its catalog, and the metadata of
    // its newest bundles. The head is stored, as the reader's high-water
    // mark, only once all that verified. With no mirror reachable, the
    // articles saved before are returned (offline).
    async follow(pub, { onStatus } = {}) {
      // The base58btc form, which heads and catalogs carry (a k51… ID
      // names the same key).
      pub = S.mf.publisherID(S.mf.publisherKey(pub));
      const say = (msg, arg) => onStatus && onStatus(msg, arg);
      this.say = say;
      say('head');
      let found;
      try {
        found = await this.newestHead(pub, say);
      } catch (e) {
        if (!(e instanceof Unreachable)) throw e;
        const saved = await this.store.listArticles(pub);
        if (!saved.length && !e.stored) throw e;
        // A mirror that answered with a head that did not verify is not
        // the network failing: what is saved is shown, and why no update
        // is (error), never "offline".
        const forged = e.verifyError || null;
        return { head: e.stored, mirror: null, bundles: [], articles: saved, stale: true, offline: !forged, error: forged && e };
      }
      const { head, mirror } = found;
      say('catalog');
      const listed = await this.newestBundles(pub, head.catalog, mirror);
      const { bundles, authority } = await this.openNewest(pub, listed, head.document || null, say);
      await this.storeHead(pub, head);
      // Verified, and the mark written: the newest document at hand (the
      // head's, or a newer one a bundle carried) says where else to look.
      await this.learn(pub, authority);
      const seen = new Set();
      const articles = [];
      for (const b of bundles) {
        for (const entry of b.entries) {
          if (seen.has(entry.id)) continue;
          seen.add(entry.id);
          articles.push({ bundle: b, entry });
        }
      }
      // complete: every bundle of the chain opened, so an article not in
      // articles is not the publisher's now (not merely an older one).
      const complete = listed.whole && bundles.length === listed.length;
      return { head, mirror: mirror.url, bundles, articles, complete, stale: head.expired, offline: false };
    }

    // openNewest opens bundles of listed, newest first, until they hold
    // WANT_ARTICLES distinct articles or all are open: the newest alone,
    // then OPEN_PARALLEL at a time, in order. The newest must verify; another
    // that fails is skipped. It returns the bundles opened and the newest
    // document at hand (the head's, or a newer one a bundle carried).
    async openNewest(pub, listed, authority, say) {
      const bundles = [];
      const ids = new Set();
      const open = (root) => this.openBundle(pub, root, authority).catch((e) => {
        if (!bundles.length) throw e; // the newest bundle must verify
        say('skipped', { root: S.mf.cidString(root), error: String(e.message || e) });
        return null;
      });
      for (let i = 0; i < listed.length && (i === 0 || ids.size < WANT_ARTICLES);) {
        const batch = listed.slice(i, i === 0 ? 1 : i + OPEN_PARALLEL);
        i += batch.length;
        say('bundle', bundles.length + 1);
        for (const b of await Promise.all(batch.map(open))) {
          if (!b) continue;
          if (b.authority && (!authority || b.authority.seq > authority.seq)) authority = b.authority;
          bundles.push(b);
          for (const e of b.entries) ids.add(e.id);
        }
      }
      return { bundles, authority };
    }

    // newestBundles returns the newest MAX_BUNDLES bundles a catalog chain
    // lists (protocol.md §5), newest first, each once: it reads pages from
    // the head's on, each checked and kept, until it has that many or the
    // chain ends (at most L.MaxCatalogChain pages). The head's page is
    // usually enough: it lists up to 64. out.whole tells whether out holds
    // every bundle of the chain.
    async newestBundles(pub, first, mirror) {
      const out = [];
      out.whole = true;
      const seen = new Set();
      let next = first;
      for (let pages = 0; next && out.length < MAX_BUNDLES; pages++) {
        if (pages === L.MaxCatalogChain) S.fail('ErrTooLarge', 'a catalog chain of more than ' + L.MaxCatalogChain + ' pages');
        const data = await this.block(next, S.mf.CODEC.DAG_CBOR, L.MaxCatalogSize, undefined, pub);
        const page = await S.trust.parseCatalog(next, data, pub).catch((e) => {
          if (e instanceof S.VerifyError) e.mirror ??= mirror.url;
          throw e;
        });
        await this.keep(next, data);
        for (const root of page.bundles) {
          const key = root.join(',');
          if (seen.has(key)) continue;
          if (out.length >= MAX_BUNDLES) {
            out.whole = false;
            break;
          }
          seen.add(key);
          out.push(root);
        }
        next = page.prev;
      }
      if (next) out.whole = false;
      return out;
    }

    // body and attachment return verified content: S.bundle fetches each
    // span's block through the bundle's getter and checks the content CID.
    // A body's blocks are fetched a few at a time first (prefetch), and
    // let go of once it is read: the bundle lives as long as the page.
    async body(bundle, entry) {
      const { blocks } = this.prefetched(bundle);
      const mine = await this.prefetch(bundle, S.bundle.contentBlocks(bundle, entry, { attachments: false }));
      try {
        return await S.bundle.body(bundle, entry);
      } finally {
        for (const [k, p] of mine) if (blocks.get(k) === p) blocks.delete(k);
      }
    }

    async attachment(bundle, entry, att) {
      return S.bundle.attachment(bundle, entry, att);
    }

    // prefetched returns a bundle's blocks being prefetched (CID string →
    // Promise of the bytes, or null), where its getter, wrapped once,
    // looks first; and the getter it wrapped.
    prefetched(bundle) {
      let p = this.fetching.get(bundle);
      if (p) return p;
      p = { blocks: new Map(), get: bundle.getBlock };
      this.fetching.set(bundle, p);
      bundle.getBlock = async (cid, codec, max) => {
        const hit = p.blocks.get(S.mf.cidString(cid));
        const data = hit && (await hit);
        if (!data) return p.get(cid, codec, max);
        await S.mf.checkBlock(cid, data, codec, max);
        return data;
      };
      return p;
    }

    // prefetch fetches blocks a few at a time, so a long body's blocks
    // arrive in parallel, into the bundle's prefetched map; it returns
    // the entries it added.
    async prefetch(bundle, cids) {
      const mine = new Map();
      if (cids.length < 2) return mine;
      const { blocks, get } = this.prefetched(bundle);
      let i = 0;
      const worker = async () => {
        while (i < cids.length) {
          const c = cids[i++];
          const k = S.mf.cidString(c);
          if (!blocks.has(k)) {
            mine.set(k, get(c, S.mf.CODEC.RAW, L.MaxBlockSize).catch(() => null));
            blocks.set(k, mine.get(k));
          }
          await blocks.get(k);
        }
      };
      await Promise.all(Array.from({ length: Math.min(FETCH_PARALLEL, cids.length) }, worker));
      return mine;
    }
  }

  // HEAD_GRACE is how long the head lookup waits for the other mirrors
  // once one has answered: a mirror that blackholes requests delays a
  // reader by this much, not by the whole request timeout.
  const HEAD_GRACE_MS = 3000;

  // settleSoon is Promise.allSettled that stops waiting grace ms after the
  // first promise fulfils; those still pending then are 'pending'.
  function settleSoon(promises, grace) {
    const out = promises.map(() => ({ status: 'pending' }));
    return new Promise((resolve) => {
      let left = promises.length;
      let timer = null;
      const done = () => {
        clearTimeout(timer);
        resolve(out.map((r) => ({ ...r })));
      };
      if (!left) return done();
      promises.forEach((p, i) => {
        p.then(
          (value) => {
            out[i] = { status: 'fulfilled', value };
            timer ??= setTimeout(done, grace);
          },
          (reason) => {
            out[i] = { status: 'rejected', reason };
          },
        ).finally(() => {
          if (--left === 0) done();
        });
      });
    });
  }

  S.net = {
    create: (config, store, opts) => new Net(config, store, opts), Unreachable, base, fetchBytes,
    httpsMirror, learnable, cspAllows, orderMirrors,
  };
})(globalThis.samizdat ||= {});
