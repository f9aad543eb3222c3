// store: what the reader keeps in this browser. Each publisher's head (the
// high-water mark: no mirror can take the reader back past it), verified
// metadata blocks (so a return visit fetches only what changed), saved
// articles for offline reading, settings, the mirrors learned from each
// publisher's newest document, and when each mirror last worked and last
// failed (so a reload tries first what worked). IndexedDB; where a browser
// refuses it (some file:// pages, some private modes) a store in memory
// that lasts as long as the page.
(function (S) {
  'use strict';

  const DB_NAME = 'samizdat-reader';
  // 2: the learned and mirrors stores.
  const DB_VERSION = 2;
  // A browser that neither opens nor refuses the database within this
  // long (seen on file:// pages) gets the memory store.
  const OPEN_TIMEOUT_MS = 3000;

  // Saved articles are two records: the metadata the lists show, and the
  // content (body, attachment bytes), read only when one is opened.
  const STORES = ['heads', 'blocks', 'articles', 'content', 'settings', 'learned', 'mirrors'];
  // Records that carry their key: learned {pub, seq, urls}, mirrors {url,
  // lastOK, lastFail}; articles by [pub, id].
  const KEY_PATHS = { articles: ['pub', 'id'], learned: 'pub', mirrors: 'url' };
  // Mirrors kept for one publisher (its document lists at most as many).
  const MAX_LEARNED = 64;

  // learnedRecord is what is kept of a publisher's learned mirrors.
  const learnedRecord = (rec) => ({ pub: rec.pub, seq: String(rec.seq), urls: rec.urls.slice(0, MAX_LEARNED) });
  const healthRecord = (rec) => ({ url: rec.url, lastOK: Number(rec.lastOK) || 0, lastFail: Number(rec.lastFail) || 0 });

  const blockKey = (cid) => (typeof cid === 'string' ? cid : S.mf.cidString(cid));

  // split separates a saved article into its metadata and its content.
  function split(pub, record) {
    const { body, attachments = [], ...meta } = record;
    meta.pub = pub;
    meta.attachments = attachments.map(({ data, ...a }) => a);
    const content = { body, data: attachments.map((a) => a.data) };
    return { meta, content };
  }

  function join(meta, content) {
    if (!meta) return undefined;
    const rec = { ...meta, body: content ? content.body : undefined };
    rec.attachments = meta.attachments.map((a, i) => ({ ...a, data: content ? content.data[i] : undefined }));
    return rec;
  }

  // newest first, by publication (else update) time, then title.
  function byDate(a, b) {
    const ta = a.published || a.updated || 0;
    const tb = b.published || b.updated || 0;
    return tb - ta || String(a.title).localeCompare(String(b.title));
  }

  function matcher(query) {
    const q = S.i18n.fold(query);
    return (rec) => S.i18n.fold(rec.title || '').includes(q);
  }

  function request(r) {
    return new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  class DBStore {
    constructor(db) {
      this.db = db;
      this.persistent = true;
    }

    get(store, key) {
      return request(this.db.transaction(store).objectStore(store).get(key));
    }

    // write runs fn over the stores in one transaction and resolves once
    // it is committed.
    write(stores, fn) {
      return new Promise((resolve, reject) => {
        const tx = this.db.transaction(stores, 'readwrite');
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
        fn(tx);
      });
    }

    getHead(pub) {
      return this.get('heads', pub);
    }

    putHead(pub, bytes) {
      return this.write(['heads'], (tx) => tx.objectStore('heads').put(bytes, pub));
    }

    getBlock(cid) {
      return this.get('blocks', blockKey(cid));
    }

    putBlock(cid, bytes) {
      return this.write(['blocks'], (tx) => tx.objectStore('blocks').put(bytes, blockKey(cid)));
    }

    putArticle(pub, record) {
      const { meta, content } = split(pub, record);
      return this.write(['articles', 'content'], (tx) => {
        tx.objectStore('articles').put(meta);
        tx.objectStore('content').put(content, [pub, record.id]);
      });
    }

    async getArticle(pub, id) {
      const tx = this.db.transaction(['articles', 'content']);
      const [meta, content] = await Promise.all([
        request(tx.objectStore('articles').get([pub, id])),
        request(tx.objectStore('content').get([pub, id])),
      ]);
      return join(meta, content);
    }

    // listArticles returns a publisher's saved articles, newest first,
    // without their content (body and attachment data undefined).
    async listArticles(pub) {
      // [pub] < [pub, any id] < [pub, []]: arrays sort after strings.
      const range = IDBKeyRange.bound([pub], [pub, []]);
      const all = await request(this.db.transaction('articles').objectStore('articles').getAll(range));
      return all.map((m) => join(m, null)).sort(byDate);
    }

    async searchTitles(query, pub) {
      const all = pub
        ? await this.listArticles(pub)
        : (await request(this.db.transaction('articles').objectStore('articles').getAll())).map((m) => join(m, null));
      return all.filter(matcher(query)).sort(byDate);
    }

    getSetting(k) {
      return this.get('settings', k);
    }

    putSetting(k, v) {
      return this.write(['settings'], (tx) => tx.objectStore('settings').put(v, k));
    }

    // The mirrors learned from a publisher's newest document: {pub, seq
    // (a decimal string), urls}.
    getLearned(pub) {
      return this.get('learned', pub);
    }

    putLearned(rec) {
      return this.write(['learned'], (tx) => tx.objectStore('learned').put(learnedRecord(rec)));
    }

    allLearned() {
      return request(this.db.transaction('learned').objectStore('learned').getAll());
    }

    // When each mirror last worked and last failed: {url, lastOK, lastFail}
    // in milliseconds since the epoch, 0 for never.
    allHealth() {
      return request(this.db.transaction('mirrors').objectStore('mirrors').getAll());
    }

    putHealth(rec) {
      return this.write(['mirrors'], (tx) => tx.objectStore('mirrors').put(healthRecord(rec)));
    }

    dropHealth(urls) {
      return this.write(['mirrors'], (tx) => {
        for (const u of urls) tx.objectStore('mirrors').delete(u);
      });
    }
  }

  // MemoryStore is DBStore's behaviour for one page's lifetime.
  class MemoryStore {
    constructor() {
      this.persistent = false;
      this.maps = Object.fromEntries(STORES.map((s) => [s, new Map()]));
    }

    async getHead(pub) {
      return this.maps.heads.get(pub);
    }

    async putHead(pub, bytes) {
      this.maps.heads.set(pub, bytes);
    }

    async getBlock(cid) {
      return this.maps.blocks.get(blockKey(cid));
    }

    async putBlock(cid, bytes) {
      this.maps.blocks.set(blockKey(cid), bytes);
    }

    async putArticle(pub, record) {
      const { meta, content } = split(pub, record);
      const key = JSON.stringify([pub, record.id]);
      this.maps.articles.set(key, meta);
      this.maps.content.set(key, content);
    }

    async getArticle(pub, id) {
      const key = JSON.stringify([pub, id]);
      return join(this.maps.articles.get(key), this.maps.content.get(key));
    }

    async listArticles(pub) {
      return [...this.maps.articles.values()].filter((m) => m.pub === pub).map((m) => join(m, null)).sort(byDate);
    }

    async searchTitles(query, pub) {
      const all = [...this.maps.articles.values()].filter((m) => pub === undefined || m.pub === pub);
      return all.map((m) => join(m, null)).filter(matcher(query)).sort(byDate);
    }

    async getSetting(k) {
      return this.maps.settings.get(k);
    }

    async putSetting(k, v) {
      this.maps.settings.set(k, v);
    }

    async getLearned(pub) {
      return this.maps.learned.get(pub);
    }

    async putLearned(rec) {
      this.maps.learned.set(rec.pub, learnedRecord(rec));
    }

    async allLearned() {
      return [...this.maps.learned.values()];
    }

    async allHealth() {
      return [...this.maps.mirrors.values()];
    }

    async putHealth(rec) {
      this.maps.mirrors.set(rec.url, healthRecord(rec));
    }

    async dropHealth(urls) {
      for (const u of urls) this.maps.mirrors.delete(u);
    }
  }

  function openDB() {
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (fn, v) => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        fn(v);
        return true;
      };
      const timer = setTimeout(() => done(reject, new Error('IndexedDB did not open')), OPEN_TIMEOUT_MS);
      let r;
      try {
        r = globalThis.indexedDB.open(DB_NAME, DB_VERSION);
      } catch (e) {
        done(reject, e); // SecurityError on some file:// pages; no indexedDB at all
        return;
      }
      r.onupgradeneeded = () => {
        const db = r.result;
        for (const name of STORES) {
          if (db.objectStoreNames.contains(name)) continue;
          if (KEY_PATHS[name]) db.createObjectStore(name, { keyPath: KEY_PATHS[name] });
          else db.createObjectStore(name);
        }
      };
      r.onsuccess = () => {
        const db = r.result;
        // Another tab upgrading the database: step aside.
        db.onversionchange = () => db.close();
        if (!done(resolve, db)) db.close();
      };
      r.onerror = () => done(reject, r.error);
    });
  }

  // open returns the IndexedDB store, or the memory store where IndexedDB
  // is refused. store.persistent tells which.
  async function open() {
    try {
      return new DBStore(await openDB());
    } catch (e) {
      return new MemoryStore();
    }
  }

  S.store = { open, MemoryStore };
})(globalThis.samizdat ||= {});
