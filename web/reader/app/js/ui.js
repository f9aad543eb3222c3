// ui: the reader's pages, routed by location.hash (which works from a
// file:// page too): the publishers; a publisher's articles, listed as soon
// as its bundles' metadata verified; an article, text first; settings.
// Every text from outside (titles, names, errors) goes into the page as
// text nodes; article bodies go through S.render's sanitizer.
(function (S) {
  'use strict';

  // Articles added to a list at a time: a phone lays out a few hundred
  // quickly, not a catalog of thousands.
  const PAGE = 100;
  // Characters of a publisher ID shown as its fingerprint (web.go's
  // fingerprintLen): no name, which anyone may take, can produce them.
  const FP_LEN = 10;
  // The longest error text shown (a mirror's message, never content).
  const ERR_LEN = 120;
  // A follow this old is made again when the page comes back into view
  // on its publisher's list: a phone keeps a tab open for days, and the
  // reader would otherwise see new articles only after a reload. Not on
  // an article, which a reader is in the middle of.
  const RECHECK_MS = 30 * 60 * 1000;
  // What net.follow reports as it goes: the object being verified, and
  // the notes that stay on the page.
  const STAGES = new Set(['head', 'catalog', 'bundle']);
  const NOTES = new Set(['refused', 'forged', 'skipped', 'retry']);

  const t = (k, p) => S.i18n.t(k, p);
  // iso isolates text of another direction (a URL, a name) inside a
  // sentence, so an RTL sentence does not reorder it.
  const iso = (s) => '\u2068' + s + '\u2069';
  const LANG_RE = /^[A-Za-z0-9-]{1,64}$/;

  const app = {
    pubs: [], // [{id, name}] from the config
    names: new Map(), // publisher → name from its signed document
    follows: new Map(), // publisher → the follow under way or done
    blobs: [], // object URLs of the page shown, revoked when it goes
    view: 0,
    low: false,
    langSetting: '',
  };

  // h makes an element. attrs: plain attributes (true: present), except
  // class and on: {event: handler}. Children: nodes, or strings, which
  // become text nodes.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(2)) if (kid != null && kid !== false) el.append(kid);
    return el;
  }

  const pubHref = (pub) => '#/p/' + encodeURIComponent(pub);
  const articleHref = (pub, id) => pubHref(pub) + '/a/' + encodeURIComponent(id);
  const pubInfo = (pub) => app.pubs.find((p) => p.id === pub);
  const langOf = (tag) => (tag && tag !== 'und' && LANG_RE.test(tag) ? tag : null);
  // secs turns an entry's Unix seconds (0: unknown) into milliseconds.
  const secs = (v) => (Number(v) > 0 ? Number(v) * 1000 : 0);

  // canonicalID returns a publisher ID in its canonical (base58, 12D3Koo…)
  // form, which heads and catalogs carry and the store saves under: a
  // k51… ID names the same key. Not a publisher ID: id as it is.
  function canonicalID(id) {
    try {
      return S.mf.isBase58PublisherID(id) ? id : S.mf.publisherID(S.mf.publisherKey(id));
    } catch (e) {
      return id;
    }
  }

  // fingerprint is the end of the publisher's canonical ID.
  function fingerprint(id) {
    return canonicalID(id).slice(-FP_LEN);
  }

  function pubLabel(id) {
    const info = pubInfo(id);
    const name = app.names.get(id) || (info && info.name);
    return h('span', { class: 'pub' },
      name ? h('bdi', { class: 'pub-name' }, name) : h('span', { class: 'pub-name muted' }, t('pub.noname')),
      ' ', h('code', { class: 'fp', dir: 'ltr', title: t('fp.title') }, fingerprint(id)));
  }

  // errLabel is what may be shown of an error: a verification error's
  // kind, never its message (which could quote what failed); else the
  // start of the message.
  function errLabel(e) {
    if (e instanceof S.VerifyError) return e.kind;
    const s = String((e && e.message) || e || '');
    const m = /^(Err[A-Za-z]+)/.exec(s);
    return m ? m[1] : s.slice(0, ERR_LEN);
  }

  // verification finds the verification failure in an error from net:
  // the error itself, the one an Unreachable carries, or a mirror's.
  function verification(e) {
    const tried = (e && e.tried) || [];
    const ve = e instanceof S.VerifyError ? e : e && e.verifyError;
    if (ve) {
      const from = tried.find((x) => String(x.error).startsWith(ve.kind));
      return { kind: ve.kind, mirror: (e && e.mirror) || ve.mirror || (from && from.url) };
    }
    for (const x of tried) {
      const m = /^(Err[A-Za-z]+)/.exec(String(x.error));
      if (m) return { kind: m[1], mirror: x.url };
    }
    return null;
  }

  // errorBox explains a failure: which object failed to verify and from
  // which mirror, or that no mirror answered, and what each mirror said.
  function errorBox(e, object, retry) {
    const v = verification(e);
    let msg;
    if (v) msg = t('err.verify', { kind: v.kind, object: t('obj.' + object), mirror: v.mirror ? iso(v.mirror) : t('mirror.some') });
    else if (S.net && S.net.Unreachable && e instanceof S.net.Unreachable) msg = t('err.unreachable');
    else msg = t('err.other', { error: errLabel(e) });
    const tried = (e && e.tried) || [];
    // data-error: the kind, for the browser tests and for styling.
    return h('div', { class: 'error', role: 'alert', 'data-error': v ? v.kind : 'unreachable' },
      h('p', null, msg),
      tried.length ? h('p', { class: 'meta' }, t('err.tried')) : null,
      tried.length ? h('ul', { class: 'meta' }, tried.map((x) => h('li', null, h('bdi', { dir: 'ltr' }, x.url), ': ', errLabel(x.error)))) : null,
      retry ? h('button', { type: 'button', on: { click: retry } }, t('err.retry')) : null);
  }

  function statusText(msg, arg) {
    arg = arg || {};
    switch (msg) {
      case 'head': return t('st.head');
      case 'catalog': return t('st.catalog');
      case 'bundle': return t('st.bundle', { n: S.i18n.num(Number(arg) || 1) });
      case 'refused': return t('st.refused', { mirror: iso(arg.mirror || '') });
      case 'forged': return t('err.verify', { kind: arg.kind || '', object: t('obj.head'), mirror: iso(arg.mirror || '') });
      case 'skipped': return t('st.skipped');
      case 'retry': return t('st.retry', { mirror: iso(arg.mirror || ''), error: errLabel(arg.error) });
      default: return null;
    }
  }

  // statusArea shows a follow's progress on one view: a line that changes
  // and the notes that stay (a refused head, a mirror that failed).
  function statusArea(v) {
    const line = h('p', { class: 'status meta', role: 'status', hidden: true });
    const notes = h('ul', { class: 'notes meta' });
    const set = (s) => {
      line.textContent = s || '';
      line.hidden = !s;
    };
    return {
      el: h('div', null, line, notes),
      set,
      watch(f) {
        const show = (msg, arg) => {
          const s = v.live() && statusText(msg, arg);
          if (s && NOTES.has(msg)) notes.append(h('li', null, s));
          else if (s) set(s);
        };
        f.listener = show;
        if (f.last && !f.settled) show(...f.last);
      },
    };
  }

  // follow starts (once per page load) or joins a publisher's follow. A
  // failed follow is forgotten, so the next visit tries again.
  function follow(pub) {
    let f = app.follows.get(pub);
    if (f) return f;
    f = { stage: 'head', last: null, listener: null, started: Date.now() };
    const onStatus = (msg, arg) => {
      if (STAGES.has(msg)) f.stage = msg;
      f.last = [msg, arg];
      if (f.listener) f.listener(msg, arg);
    };
    f.promise = app.net.follow(pub, { onStatus });
    f.promise.finally(() => (f.settled = true)).catch(() => {});
    f.promise.then((res) => {
      const doc = (res.head && res.head.document) || (res.bundles && res.bundles[0] && res.bundles[0].authority);
      if (doc && doc.name) app.names.set(pub, doc.name);
    }, () => {
      if (app.follows.get(pub) === f) app.follows.delete(pub);
    });
    app.follows.set(pub, f);
    return f;
  }

  function refresh(pub) {
    app.follows.delete(pub);
    route();
  }

  // recheck makes a settled follow older than RECHECK_MS again, when the
  // page shows that publisher's list.
  function recheck() {
    const parts = hashParts();
    let pub = null;
    if (parts[0] === 'p' && parts[1] && parts.length === 2) pub = canonicalID(parts[1]);
    else if (parts.length === 1 && !parts[0] && app.pubs.length === 1) pub = app.pubs[0].id;
    const f = pub && app.follows.get(pub);
    if (f && f.settled && Date.now() - f.started > RECHECK_MS) refresh(pub);
  }

  // isRoot tells whether the head was signed by the publisher's own key
  // (else by a head key its document delegated).
  function isRoot(pub, head) {
    try {
      return S.equalBytes(head.signer, S.mf.publisherKey(pub));
    } catch (e) {
      return !head.wrapped;
    }
  }

  // trustBar: who publishes this (signed name, fingerprint), which update
  // is shown, who signed it, which mirror served it, and whether it is
  // stale or offline. res null: not known yet.
  function trustBar(el, pub, res) {
    // The publisher heads its list; on an article page the article does.
    const parts = [h(el.classList.contains('in-article') ? 'p' : 'h1', { class: 'pub-title' }, pubLabel(pub))];
    const head = res && res.head;
    if (head) {
      const line = [t('trust.update', { seq: S.i18n.num(head.seq), date: S.i18n.dateTime(head.validity) }), ' · ',
        isRoot(pub, head) ? t('trust.byRoot') : t('trust.byHead')];
      if (res.mirror) line.push(' · ', t('trust.mirror', { mirror: iso(res.mirror) }));
      parts.push(h('p', { class: 'meta' }, line));
      // Expired by now: a tab may stay open for days on the follow it
      // made when it opened, and the head it verified then runs out.
      if (head.expired || Date.now() > head.validity) {
        // The Go pages' "last update": the newest bundle's creation.
        const b = res.bundles && res.bundles[0];
        const last = (b && secs(b.created)) || head.validity;
        parts.push(h('p', { class: 'warn stale', 'data-stale': true }, t('trust.stale', { date: S.i18n.date(last) })));
      }
    } else if (res) {
      parts.push(h('p', { class: 'meta' }, t('trust.unknown')));
    }
    if (res && res.offline) parts.push(h('p', { class: 'warn' }, t('trust.offline')));
    if (res) parts.push(h('button', { type: 'button', class: 'link', on: { click: () => refresh(pub) } }, t('trust.refresh')));
    el.replaceChildren(...parts);
  }

  // view starts a page: the main element emptied, the title set, and the
  // object URLs of the page before revoked. live() turns false once
  // another page starts, so late answers do not draw over it.
  function view(title) {
    const token = ++app.view;
    for (const u of app.blobs) URL.revokeObjectURL(u);
    app.blobs = [];
    const main = document.getElementById('main');
    main.replaceChildren();
    document.title = title ? title + ' · samizdat' : 'samizdat';
    window.scrollTo(0, 0);
    return { main, live: () => token === app.view };
  }

  function nav() {
    document.getElementById('nav').replaceChildren(...[
      app.pubs.length > 1 ? h('a', { href: '#/' }, t('nav.publishers')) : null,
      h('a', { href: '#/settings' }, t('nav.settings'))].filter(Boolean));
  }

  function showPublishers() {
    const v = view(t('nav.publishers'));
    v.main.append(h('h1', null, t('nav.publishers')));
    if (!app.pubs.length) v.main.append(h('p', { class: 'muted' }, t('pubs.none')));
    else v.main.append(h('ul', { class: 'publishers' }, app.pubs.map((p) => h('li', null, h('a', { href: pubHref(p.id) }, pubLabel(p.id))))));
  }

  function unknownPublisher() {
    view().main.append(h('p', { class: 'error' }, t('err.nopub')));
  }

  function articleItem(pub, a, saved) {
    const lang = langOf(a.lang);
    const when = secs(a.published) || secs(a.updated);
    return h('li', null,
      h('a', { href: articleHref(pub, a.id), class: 'title', lang, dir: 'auto' }, a.title || a.id),
      h('div', { class: 'meta' }, when ? S.i18n.date(when) : null, when && lang ? ' · ' : null,
        lang ? h('bdi', null, lang) : null, saved.has(a.id) ? [' · ', h('span', { class: 'saved-mark' }, t('list.saved'))] : null),
      a.summary ? h('p', { class: 'summary', lang, dir: 'auto' }, a.summary) : null);
  }

  // showList lists a publisher's articles once their metadata verified
  // (or, offline, those saved), with a title search over what is listed.
  async function showList(pub) {
    if (!pubInfo(pub)) return unknownPublisher();
    const v = view(app.names.get(pub) || pubInfo(pub).name);
    const bar = h('section', { class: 'trust' });
    const status = statusArea(v);
    v.main.append(bar, status.el);
    trustBar(bar, pub, null);
    const f = follow(pub);
    status.watch(f);
    let res;
    try {
      res = await f.promise;
    } catch (e) {
      if (!v.live()) return;
      status.el.replaceChildren(errorBox(e, f.stage, () => refresh(pub)));
      // What was saved is still worth reading; "offline" only if no mirror
      // answered at all (not when one answered with something false).
      res = { head: null, articles: await app.store.listArticles(pub).catch(() => []), offline: !verification(e) };
    }
    const saved = new Set((await app.store.listArticles(pub).catch(() => [])).map((r) => r.id));
    if (!v.live()) return;
    status.set('');
    if (res.error) status.el.replaceChildren(errorBox(res.error, f.stage, () => refresh(pub)));
    trustBar(bar, pub, res);
    v.main.append(...articleList(pub, res.articles.map((a) => a.entry || a), saved));
  }

  // articleList is the search box, the count and the list of articles,
  // drawn PAGE at a time.
  function articleList(pub, items, saved) {
    const search = h('input', { type: 'search', class: 'search', placeholder: t('list.search'), 'aria-label': t('list.search'), dir: 'auto' });
    const count = h('p', { class: 'meta count' });
    const list = h('ul', { class: 'articles' });
    const more = h('button', { type: 'button', class: 'more', hidden: true }, t('list.more'));
    let folded = null; // the titles, folded on the first search
    let matches = items;
    let shown = 0;
    const fill = () => {
      const end = Math.min(matches.length, shown + PAGE);
      for (; shown < end; shown++) list.append(articleItem(pub, matches[shown], saved));
      more.hidden = shown >= matches.length;
    };
    const filter = () => {
      const q = S.i18n.fold(search.value.trim());
      if (q && !folded) folded = items.map((a) => S.i18n.fold(a.title || ''));
      matches = q ? items.filter((a, i) => folded[i].includes(q)) : items;
      list.replaceChildren();
      shown = 0;
      fill();
      count.textContent = !items.length ? t('list.empty')
        : !matches.length ? t('list.nomatch', { q: iso(search.value.trim()) })
        : t('list.count', { n: S.i18n.num(matches.length) });
    };
    search.addEventListener('input', filter);
    more.addEventListener('click', fill);
    filter();
    return [search, count, list, more];
  }

  // verifiedCopy returns the saved copy of an article if its body still
  // hashes to its content CID (a damaged store entry is not shown).
  async function verifiedCopy(pub, id) {
    try {
      const rec = await app.store.getArticle(pub, id);
      if (rec && rec.body && (await sameContent(rec.body, rec.cid))) return rec;
    } catch (e) {
      // no copy, or an unreadable one
    }
    return null;
  }

  async function sameContent(data, cid) {
    return S.equalBytes(await S.mf.cidOf(S.mf.CODEC.RAW, data), cid);
  }

  // showArticle shows the saved copy at once if there is one, then the
  // publisher's current version if it differs; an article not saved is
  // fetched, verified, shown and saved. A failure is shown beside the
  // saved copy, never instead of it.
  async function showArticle(pub, id) {
    if (!pubInfo(pub)) return unknownPublisher();
    const v = view();
    const bar = h('section', { class: 'trust in-article' });
    const status = statusArea(v);
    const holder = h('div');
    v.main.append(h('p', { class: 'back' }, h('a', { href: pubHref(pub) }, t('nav.articles'))), bar, status.el, holder);
    trustBar(bar, pub, null);
    const f = follow(pub);
    status.watch(f);
    // source: where missing attachments of what is shown come from, once
    // known (null: nowhere, offline).
    let setSource;
    const source = new Promise((r) => (setSource = r));
    const stored = await verifiedCopy(pub, id);
    if (!v.live()) return;
    if (stored) showRecord(v, holder, pub, stored, source, true);
    let res;
    try {
      res = await f.promise;
    } catch (e) {
      setSource(null);
      if (v.live()) status.el.replaceChildren(errorBox(e, f.stage, () => refresh(pub)));
      return;
    }
    if (!v.live()) return;
    status.set('');
    if (res.error) status.el.replaceChildren(errorBox(res.error, f.stage, () => refresh(pub)));
    trustBar(bar, pub, res);
    const found = res.offline || res.error ? null : res.articles.find((a) => a.entry.id === id);
    if (stored && found && S.equalBytes(stored.cid, found.entry.cid)) return setSource(found);
    setSource(null);
    if (found) return showCurrent({ v, status, holder, pub, found, res });
    if (!stored && !res.error) holder.replaceChildren(h('p', { class: 'muted' }, t(res.offline ? 'err.unreachable' : 'art.notfound')));
    // A saved copy the publisher's verified articles do not hold (taken
    // back, from a key since revoked, or put in the store by another page
    // of this origin) stays readable, but is not passed off as current.
    // Only when the page read all of them: else it may be an older one.
    else if (stored && res.complete) status.el.append(h('p', { class: 'warn', 'data-not-current': true }, t('art.notfound')));
  }

  // showCurrent fetches and shows the article as the publisher's verified
  // bundle has it now.
  async function showCurrent({ v, status, holder, pub, found, res }) {
    status.set(t('art.loading'));
    let body;
    try {
      body = await app.net.body(found.bundle, found.entry);
    } catch (e) {
      if (v.live()) status.el.replaceChildren(errorBox(e, 'article', () => refresh(pub)));
      return;
    }
    if (!v.live()) return;
    status.set('');
    showRecord(v, holder, pub, record(found, body, res), Promise.resolve(found), false);
  }

  // record is what the store keeps of an article (store.js's shape).
  function record(found, body, res) {
    const e = found.entry;
    return {
      id: e.id, title: e.title, lang: e.lang, published: e.published, updated: e.updated, summary: e.summary,
      authors: e.authors, url: e.url, contentType: e.contentType, size: e.size, cid: e.cid, body,
      attachments: e.attachments.map((a) => ({ name: a.name, contentType: a.contentType, size: a.size, cid: a.cid, data: undefined })),
      bundle: S.mf.cidString(found.bundle.root), headSeq: String(res.head.seq), mirror: res.mirror || '', savedAt: Date.now(),
    };
  }

  // attachmentBytes returns an attachment's verified bytes: the saved ones
  // if they still hash right, else fetched (and kept in the record).
  async function attachmentBytes(rec, att, source) {
    if (att.data && (await sameContent(att.data, att.cid))) return att.data;
    const src = await source;
    const a = src && src.entry.attachments.find((x) => x.name === att.name);
    if (!a) throw new Error('not available offline');
    att.data = await app.net.attachment(src.bundle, src.entry, a);
    return att.data;
  }

  // blobURL makes an object URL of verified bytes. Only an inline image
  // keeps its type: anything else is octet-stream, so the browser never
  // renders (and runs) a publisher's HTML or SVG under this page's origin.
  function blobURL(data, type) {
    const u = URL.createObjectURL(new Blob([data], { type: S.render.INLINE_IMAGES.has(type) ? type : 'application/octet-stream' }));
    app.blobs.push(u);
    return u;
  }

  function articleMeta(rec) {
    const parts = [];
    const pub = secs(rec.published);
    const upd = secs(rec.updated);
    if (pub) parts.push(t('art.published', { date: S.i18n.date(pub) }));
    if (upd && upd !== pub) parts.push(t('art.updated', { date: S.i18n.date(upd) }));
    if (rec.authors && rec.authors.length) parts.push(t('art.by', { names: S.i18n.list(rec.authors.map(iso)) }));
    return parts.length ? h('p', { class: 'meta' }, parts.join(' · ')) : null;
  }

  // downloads lists the attachments that are not inline images, each
  // fetched (verified) only when asked for.
  function downloads(rec, bytes) {
    const files = rec.attachments.filter((a) => !S.render.INLINE_IMAGES.has(a.contentType));
    if (!files.length) return null;
    return h('section', { class: 'attachments' }, h('h2', null, t('art.attachments')), h('ul', null, files.map((a) => {
      const b = h('button', { type: 'button' }, t('art.download'));
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          const link = h('a', { href: blobURL(await bytes(a), ''), download: a.name.split('/').pop() });
          link.click();
        } catch (e) {
          b.replaceWith(t('err.other', { error: errLabel(e) }));
        }
        b.disabled = false;
      });
      return h('li', null, h('bdi', null, a.name), ' ', h('span', { class: 'meta' }, S.i18n.size(a.size)), ' ', b);
    })));
  }

  function originalLink(rec) {
    const href = rec.url && S.render.safeHref(rec.url);
    if (!href) return null;
    return h('p', { class: 'meta original' }, t('art.original'), ' ',
      h('a', { href, rel: 'noreferrer noopener', target: '_blank', referrerpolicy: 'no-referrer', dir: 'ltr' }, rec.url));
  }

  // showRecord draws an article record and saves it: the body at once,
  // again once the images loaded without a tap are in, and again for each
  // image tapped later.
  function showRecord(v, holder, pub, rec, source, fromStore) {
    document.title = (rec.title || rec.id) + ' · samizdat';
    const lang = langOf(rec.lang);
    const body = h('div', { class: 'article-body' });
    const note = h('p', { class: 'meta saved', role: 'status' }, fromStore ? t('art.stored') : null);
    let settled = false;
    const save = async () => {
      try {
        await app.store.putArticle(pub, rec);
        if (v.live() && !fromStore) note.textContent = t('art.saved');
      } catch (e) {
        if (v.live()) note.textContent = t('art.savefail');
      }
    };
    const bytes = async (att) => {
      const had = att.data;
      const data = await attachmentBytes(rec, att, source);
      if (settled && data !== had) save();
      return data;
    };
    // One object URL per attachment, however many <img> show it: each
    // URL is a copy of the bytes. A failure is not kept (a tap retries).
    const urls = new Map();
    const attachmentURL = (name) => {
      const att = rec.attachments.find((a) => a.name === name);
      if (!att) return null;
      if (!urls.has(name)) {
        const u = bytes(att).then((data) => blobURL(data, att.contentType));
        u.catch(() => urls.delete(name));
        urls.set(name, u);
      }
      return urls.get(name);
    };
    holder.replaceChildren(h('article', null,
      h('h1', { lang, dir: 'auto' }, rec.title || rec.id),
      articleMeta(rec), body, downloads(rec, bytes), originalLink(rec), note));
    // Not fatal: bytes that are not UTF-8 show as U+FFFD, as in the Go reader.
    const text = new TextDecoder().decode(rec.body);
    const images = S.render.article(body, { entry: rec, bodyText: text, attachmentURL, lowBandwidth: app.low });
    const first = fromStore ? Promise.resolve() : save();
    Promise.all([images, first]).then(() => {
      settled = true;
      return save();
    });
  }

  // mirrorItem: a mirror, its kind, whether a publisher's signed list
  // named it (and whether this page may reach it), and how it last did.
  function mirrorItem(m, redraw) {
    const state = m.lastOK ? t('set.lastok', { date: S.i18n.dateTime(m.lastOK) }) : t('set.never');
    return h('li', { 'data-learned': m.learned || null, 'data-blocked': m.blocked || null },
      h('bdi', { class: 'url', dir: 'ltr' }, m.url), ' ', h('span', { class: 'meta' }, t('kind.' + m.kind)),
      m.learned ? h('div', { class: 'meta' }, t('set.learned')) : null,
      m.blocked ? h('div', { class: 'warn' }, t('set.blocked')) : null,
      h('div', { class: 'meta' }, state, m.lastError ? ' · ' + t('set.lasterr', { error: errLabel(m.lastError) }) : null),
      h('button', { type: 'button', on: { click: () => editMirrors(false, m.url).then(redraw, redraw) } }, t('set.remove')));
  }

  // applyMirrorEdits replays the reader's saved mirror edits over the
  // page's list. A URL the net refuses is skipped, not fatal.
  function applyMirrorEdits(m) {
    for (const [list, edit] of [[m && m.add, 'addMirror'], [m && m.remove, 'removeMirror']]) {
      for (const u of Array.isArray(list) ? list : []) {
        try {
          app.net[edit](u);
        } catch (e) {
          // skipped
        }
      }
    }
  }

  // editMirrors adds or removes a mirror, now and in the saved setting
  // applied at each start.
  async function editMirrors(add, url) {
    if (add) app.net.addMirror(url);
    else app.net.removeMirror(url);
    const old = (await app.store.getSetting('mirrors').catch(() => null)) || {};
    const others = (list) => (Array.isArray(list) ? list.filter((u) => u !== url) : []);
    const m = { add: others(old.add), remove: others(old.remove) };
    (add ? m.add : m.remove).push(url);
    await app.store.putSetting('mirrors', m).catch(() => {});
  }

  function mirrorsSection() {
    const list = h('ul', { class: 'mirrors' });
    const draw = () => list.replaceChildren(...app.net.mirrorList().map((m) => mirrorItem(m, draw)));
    draw();
    const input = h('input', { type: 'url', inputmode: 'url', dir: 'ltr', autocomplete: 'off', spellcheck: 'false',
      placeholder: t('set.url'), 'aria-label': t('set.url') });
    const bad = h('p', { class: 'error', role: 'alert', hidden: true }, t('set.badurl'));
    const form = h('form', { class: 'add' }, input, h('button', { type: 'submit' }, t('set.add')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const url = S.render.safeHref(input.value);
      const ok = !!url && /^https?:/.test(url);
      bad.hidden = ok;
      if (!ok) return;
      input.value = '';
      editMirrors(true, url).then(draw, () => (bad.hidden = false));
    });
    return h('section', null, h('h2', null, t('set.mirrors')), h('p', { class: 'meta' }, t('set.mirrorsHelp')),
      list, form, bad, h('p', { class: 'meta' }, t('set.addHelp')));
  }

  function showSettings() {
    const v = view(t('nav.settings'));
    const sel = h('select', { id: 'lang' }, h('option', { value: '' }, t('set.auto')),
      Object.entries(S.i18n.NAMES).map(([k, name]) => h('option', { value: k, lang: k, selected: k === app.langSetting }, name)));
    sel.addEventListener('change', () => {
      app.langSetting = sel.value;
      app.store.putSetting('lang', sel.value).catch(() => {});
      S.i18n.setLang(sel.value || S.i18n.detect());
      route();
    });
    const low = h('input', { type: 'checkbox', checked: app.low });
    low.addEventListener('change', () => {
      app.low = low.checked;
      app.store.putSetting('lowBandwidth', app.low).catch(() => {});
    });
    v.main.append(h('h1', null, t('nav.settings')),
      h('section', null, h('h2', null, h('label', { for: 'lang' }, t('set.lang'))), sel),
      h('section', null, h('label', { class: 'check' }, low, ' ', t('set.low'))),
      mirrorsSection());
    if (!app.store.persistent) v.main.append(h('p', { class: 'warn' }, t('set.nostore')));
  }

  function fatal(e) {
    const main = document.getElementById('main');
    main.replaceChildren(errorBox(e, 'head', () => location.reload()));
  }

  // route draws the page location.hash names: #/settings, #/p/<publisher>,
  // #/p/<publisher>/a/<article id>; anything else is the publishers (or,
  // with one publisher, its articles).
  // hashParts returns the parts of location.hash, decoded.
  function hashParts() {
    try {
      return location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    } catch (e) {
      return [];
    }
  }

  function route() {
    nav();
    const parts = hashParts();
    if (parts[0] === 'p' && parts[1]) parts[1] = canonicalID(parts[1]);
    let page;
    if (parts[0] === 'settings') page = showSettings();
    else if (parts[0] === 'p' && parts[1] && parts[2] === 'a' && parts.length === 4) page = showArticle(parts[1], parts[3]);
    else if (parts[0] === 'p' && parts[1]) page = showList(parts[1]);
    else if (app.pubs.length === 1) page = showList(app.pubs[0].id);
    else page = showPublishers();
    Promise.resolve(page).catch(fatal);
  }

  function readConfig() {
    const el = document.getElementById('samizdat-config');
    const c = JSON.parse(el ? el.textContent : '');
    if (!c || c.version !== 1 || !Array.isArray(c.publishers)) throw new Error('bad configuration');
    c.mirrors = Array.isArray(c.mirrors) ? c.mirrors : [];
    return c;
  }

  // registerWorker installs sw.js, only on a served page (the one with a
  // manifest link: Go drops it from the single file).
  function registerWorker() {
    const sw = navigator.serviceWorker;
    if (!sw || !/^https?:$/.test(location.protocol) || !document.querySelector('link[rel="manifest"]')) return;
    sw.register('sw.js').catch(() => {});
  }

  async function boot() {
    let config;
    try {
      config = readConfig();
    } catch (e) {
      S.i18n.setLang(S.i18n.detect());
      document.getElementById('main').replaceChildren(h('p', { class: 'error' }, t('err.config')));
      return;
    }
    app.pubs = config.publishers.filter((p) => p && typeof p.id === 'string')
      .map((p) => ({ id: canonicalID(p.id), name: typeof p.name === 'string' ? p.name : '' }));
    app.store = await S.store.open();
    const get = (k) => app.store.getSetting(k).catch(() => undefined);
    const [lang, low, mirrors] = await Promise.all([get('lang'), get('lowBandwidth'), get('mirrors')]);
    app.langSetting = lang || '';
    S.i18n.setLang(lang || S.i18n.detect());
    app.low = !!low;
    app.net = S.net.create(config, app.store);
    applyMirrorEdits(mirrors);
    await app.net.load();
    registerWorker();
    window.addEventListener('hashchange', route);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') recheck();
    });
    route();
  }

  let started = false;

  // start boots the app once the document is parsed (once only).
  function start() {
    if (started || typeof document === 'undefined') return;
    started = true;
    const go = () => boot().catch(fatal);
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', go);
    else go();
  }

  S.ui = { start, h, errorBox, fingerprint };
  start();
})(globalThis.samizdat ||= {});
