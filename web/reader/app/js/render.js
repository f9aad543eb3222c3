// render: hostile article bodies to DOM, safely. Every body, whatever its
// type, becomes an HTML string (Markdown and plain text by the small
// renderers here, which escape all markup of their own input), and that
// string goes through one sanitizer: DOMParser builds an inert document
// (no script runs, nothing loads), and only allow-listed elements and
// attributes are rebuilt from it into the live page. The rules follow the
// Go reader's (web/render.go): links only to http(s) and mailto, images
// only of the article's own attachments.
(function (S) {
  'use strict';

  // Markdown nesting (block quotes, lists) deeper than this is shown as
  // text: it bounds the recursion and the work per line.
  const MAX_NEST = 16;
  // A paragraph longer than this (in UTF-16 units) is shown as text: the
  // inline parser's lookup tables are a few bytes per character.
  const MAX_INLINE = 256 * 1024;
  // An image's description is parsed again for its alt text (and may
  // hold images): deeper than this, it is shown as text, so the work stays
  // linear and the recursion shallow.
  const MAX_INLINE_NEST = 8;
  // The sanitizer keeps only the text of elements nested deeper than this
  // (a browser lays out deep trees slowly; parsers cap depth near 512).
  const MAX_DEPTH = 96;
  // Bounds on the numeric attributes kept (HTML's own cap for colspan).
  const MAX_SPAN = 1000;

  // Attachment types shown inline, as web.go's inlineImages.
  const INLINE_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);
  const SCHEMES = new Set(['http:', 'https:', 'mailto:']);
  const HTML_NS = 'http://www.w3.org/1999/xhtml';
  const LANG_RE = /^[A-Za-z0-9-]{0,64}$/;

  const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

  // ---- Markdown: blocks ----

  const isBlank = (l) => /^[ \t]*$/.test(l);

  function indentOf(l) {
    let i = 0;
    while (l.charCodeAt(i) === 32) i++;
    return i;
  }

  // expandTabs turns a line's leading tabs into spaces (tab stops of 4),
  // so indentation is counted in columns.
  function expandTabs(l) {
    if (!l.includes('\t')) return l;
    let out = '';
    let i = 0;
    for (; i < l.length && (l[i] === ' ' || l[i] === '\t'); i++) {
      out += l[i] === ' ' ? ' ' : ' '.repeat(4 - (out.length % 4));
    }
    return out + l.slice(i);
  }

  function isBreak(l) {
    if (indentOf(l) > 3) return false;
    const s = l.trim();
    const c = s[0];
    if (c !== '*' && c !== '-' && c !== '_') return false;
    let n = 0;
    for (const ch of s) {
      if (ch === c) n++;
      else if (ch !== ' ' && ch !== '\t') return false;
    }
    return n >= 3;
  }

  function atx(l) {
    const m = /^ {0,3}(#{1,6})(?:[ \t]|$)/.exec(l);
    if (!m) return null;
    let s = l.slice(m[0].length).trim();
    // An optional closing run of #, after a space.
    let j = s.length;
    while (j > 0 && s[j - 1] === '#') j--;
    if (j === 0) s = '';
    else if (j < s.length && (s[j - 1] === ' ' || s[j - 1] === '\t')) s = s.slice(0, j).trim();
    return { level: m[1].length, text: s };
  }

  function fenceOpen(l) {
    const m = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(l);
    if (!m || (m[2][0] === '`' && m[3].includes('`'))) return null;
    return { indent: m[1].length, ch: m[2][0], len: m[2].length };
  }

  function fenceClose(l, f) {
    const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(l);
    return !!m && m[1][0] === f.ch && m[1].length >= f.len;
  }

  // listItem parses a list marker: its kind, where the item's content
  // starts (the column later lines must reach), and the first line's text.
  function listItem(l) {
    const m = /^( {0,3})([-+*]|(\d{1,9})[.)])/.exec(l);
    if (!m) return null;
    const end = m[0].length;
    const rest = l.slice(end);
    if (rest && rest[0] !== ' ') return null;
    const sp = indentOf(rest);
    const blank = sp === rest.length;
    // More than 4 spaces: the content is indented code, one space in.
    const pad = blank || sp > 4 ? 1 : sp;
    return {
      ordered: m[3] !== undefined,
      mark: m[2].slice(-1),
      start: m[3] !== undefined ? Number(m[3]) : 1,
      indent: end + pad,
      first: blank ? '' : l.slice(end + pad),
      blank,
    };
  }

  const quoted = (l) => /^ {0,3}>/.exec(l);

  // interrupts tells whether a line starts a block that ends a paragraph
  // (else it continues it, also lazily inside a quote or list item).
  function interrupts(l) {
    if (indentOf(l) > 3) return false;
    if (atx(l) || isBreak(l) || fenceOpen(l) || quoted(l)) return true;
    const it = listItem(l);
    return !!it && !it.blank && (!it.ordered || it.start === 1);
  }

  // blocks renders lines as block HTML. tight: paragraphs without <p>
  // (the items of a tight list).
  function blocks(lines, depth, tight) {
    const out = [];
    let para = [];
    const flush = () => {
      if (!para.length) return;
      const body = inline(para.join('\n').trimEnd());
      out.push(tight ? body : '<p>' + body + '</p>');
      para = [];
    };
    let i = 0;
    while (i < lines.length) {
      const l = lines[i];
      if (isBlank(l)) {
        flush();
        i++;
        continue;
      }
      const ind = indentOf(l);
      if (para.length) {
        if (ind < 4 && /^ {0,3}(=+|-+)[ \t]*$/.test(l)) {
          const level = l.trim()[0] === '=' ? 1 : 2;
          out.push('<h' + level + '>' + inline(para.join('\n').trimEnd()) + '</h' + level + '>');
          para = [];
          i++;
          continue;
        }
        if (!interrupts(l)) {
          para.push(l.slice(ind));
          i++;
          continue;
        }
        flush();
      }
      i = block(lines, i, depth, out, para);
    }
    flush();
    return out.join('\n');
  }

  // block renders the block starting at lines[i] (no paragraph open) and
  // returns the index after it; plain text goes to para.
  function block(lines, i, depth, out, para) {
    const l = lines[i];
    const ind = indentOf(l);
    if (ind >= 4) return code(lines, i, out);
    const f = fenceOpen(l);
    if (f) return fenced(lines, i, f, out);
    const h = atx(l);
    if (h) {
      out.push('<h' + h.level + '>' + inline(h.text) + '</h' + h.level + '>');
      return i + 1;
    }
    if (isBreak(l)) {
      out.push('<hr>');
      return i + 1;
    }
    if (depth < MAX_NEST && quoted(l)) return quote(lines, i, depth, out);
    if (depth < MAX_NEST && listItem(l)) return list(lines, i, depth, out);
    para.push(l.slice(ind));
    return i + 1;
  }

  function code(lines, i, out) {
    const body = [];
    for (; i < lines.length && (isBlank(lines[i]) || indentOf(lines[i]) >= 4); i++) {
      body.push(lines[i].slice(Math.min(4, indentOf(lines[i]))));
    }
    while (body.length && isBlank(body[body.length - 1])) body.pop();
    out.push('<pre><code>' + esc(body.join('\n')) + '\n</code></pre>');
    return i;
  }

  function fenced(lines, i, f, out) {
    const body = [];
    for (i++; i < lines.length && !fenceClose(lines[i], f); i++) {
      body.push(lines[i].slice(Math.min(f.indent, indentOf(lines[i]))));
    }
    out.push('<pre><code>' + esc(body.join('\n')) + (body.length ? '\n' : '') + '</code></pre>');
    return i + 1;
  }

  function quote(lines, i, depth, out) {
    const q = [];
    for (; i < lines.length; i++) {
      const l = lines[i];
      const m = quoted(l);
      if (m) {
        const r = l.slice(m[0].length);
        q.push(r[0] === ' ' ? r.slice(1) : r);
        continue;
      }
      // A lazy line: paragraph text right after quoted text.
      if (isBlank(l) || isBlank(q[q.length - 1]) || interrupts(l)) break;
      q.push(l);
    }
    out.push('<blockquote>\n' + blocks(q, depth + 1, false) + '\n</blockquote>');
    return i;
  }

  function list(lines, i, depth, out) {
    const first = listItem(lines[i]);
    const items = [];
    let loose = false;
    while (i < lines.length && !isBreak(lines[i])) {
      const it = listItem(lines[i]);
      if (!it || it.ordered !== first.ordered || it.mark !== first.mark) break;
      if (items.length && items[items.length - 1].gap) loose = true;
      const body = [it.first];
      for (i++; i < lines.length; i++) {
        const l = lines[i];
        const ind = indentOf(l);
        if (isBlank(l)) body.push('');
        else if (ind >= it.indent) body.push(l.slice(it.indent));
        else if (!isBlank(body[body.length - 1]) && !interrupts(l) && !listItem(l)) body.push(l.slice(ind));
        else break;
      }
      let gap = false;
      while (body.length > 1 && isBlank(body[body.length - 1])) {
        body.pop();
        gap = true;
      }
      // A blank line between two blocks of one item makes the list loose.
      if (body.some((b, k) => k > 0 && isBlank(b) && !isBlank(body[k + 1]))) loose = true;
      items.push({ body, gap });
    }
    const tag = first.ordered ? 'ol' : 'ul';
    const start = first.ordered && first.start !== 1 ? ' start="' + first.start + '"' : '';
    const lis = items.map((it) => '<li>' + blocks(it.body, depth + 1, !loose) + '</li>');
    out.push('<' + tag + start + '>\n' + lis.join('\n') + '\n</' + tag + '>');
    return i;
  }

  // markdown renders a CommonMark subset (headings, paragraphs, emphasis,
  // code spans and blocks, links, images, lists, block quotes, rules, hard
  // breaks) as HTML. Raw HTML in the source is escaped: it shows as text.
  // Links and images keep only http(s), mailto and relative targets. Its
  // work is linear in the input (times the bounded nesting).
  function markdown(src) {
    const lines = String(src).replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD').split('\n').map(expandTabs);
    const html = blocks(lines, 0, false);
    return html ? html + '\n' : '';
  }

  // ---- Markdown: inlines ----

  const isPunct = (c) => c !== undefined && /[\p{P}\p{S}]/u.test(c);
  const isSpace = (c) => c === undefined || /\s/u.test(c);
  const isASCIIPunct = (c) => c !== undefined && /[!-/:-@[-`{-~]/.test(c);

  // Lookups answers "where is the next …" for one string in O(1), from
  // tables built on first use, so no link attempt rescans the text.
  class Lookups {
    constructor(s) {
      this.s = s;
      this.t = {};
    }

    // next returns the first index ≥ k whose character is in chars, or -1.
    next(chars, k) {
      let a = this.t[chars];
      if (!a) {
        const s = this.s;
        a = this.t[chars] = new Int32Array(s.length + 1).fill(-1);
        for (let j = s.length - 1; j >= 0; j--) a[j] = chars.includes(s[j]) ? j : a[j + 1];
      }
      return k < a.length ? a[k] : -1;
    }

    // close returns the first unescaped ')' at or after k that is not
    // matched by a '(' after k, or -1: where a link destination ends.
    close(k) {
      if (!this.closeAt) {
        const s = this.s;
        const n = s.length;
        const depth = new Int32Array(n + 1);
        let escaped = false;
        for (let j = 0; j < n; j++) {
          const c = s[j];
          depth[j + 1] = depth[j] + (escaped ? 0 : c === '(' ? 1 : c === ')' ? -1 : 0);
          escaped = !escaped && c === '\\';
        }
        // Walking back, last[d] is the nearest ')' that brings the depth to d.
        const last = new Int32Array(2 * n + 3).fill(-1);
        const at = (this.closeAt = new Int32Array(n + 1).fill(-1));
        for (let j = n - 1; j >= 0; j--) {
          if (depth[j + 1] < depth[j]) last[depth[j + 1] + n + 1] = j;
          at[j] = last[depth[j] + n];
        }
      }
      return k < this.closeAt.length ? this.closeAt[k] : -1;
    }
  }

  // pairs finds, in one pass, each code span's closing backtick run and
  // each '[' its matching ']' (outside code spans and escapes).
  function pairs(s) {
    const runs = [];
    for (let i = 0; i < s.length; ) {
      if (s[i] === '\\' && isASCIIPunct(s[i + 1])) i += 2;
      else if (s[i] === '`') {
        let j = i;
        while (s[j] === '`') j++;
        runs.push([i, j - i]);
        i = j;
      } else i++;
    }
    const code = new Map(); // opening run → closing run of the same length
    const nextOfLen = new Map();
    for (let r = runs.length - 1; r >= 0; r--) {
      const [at, len] = runs[r];
      if (nextOfLen.has(len)) code.set(at, nextOfLen.get(len));
      nextOfLen.set(len, at);
    }
    const bracket = new Map();
    const open = [];
    for (let i = 0; i < s.length; ) {
      const c = s[i];
      if (c === '\\' && isASCIIPunct(s[i + 1])) i += 2;
      else if (c === '`') {
        let j = i;
        while (s[j] === '`') j++;
        i = code.has(i) ? code.get(i) + (j - i) : j;
      } else {
        if (c === '[') open.push(i);
        else if (c === ']' && open.length) bracket.set(open.pop(), i);
        i++;
      }
    }
    return { code, bracket };
  }

  const unescape = (s) => s.replace(/\\([!-/:-@[-`{-~])/g, '$1');

  // safeTarget tells whether a link or image target may stay: relative, or
  // http(s) or mailto. Browsers ignore ASCII whitespace and controls in a
  // scheme ("java\tscript:"), so they are ignored here too.
  function safeTarget(dest) {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(dest.replace(/[\x00-\x20\x7f]/g, ''));
    return !m || SCHEMES.has(m[1].toLowerCase() + ':');
  }

  // target parses "(dest "title")" after a link's text; p is the index
  // after '('. It returns {dest, title, end} or null.
  function target(s, p, look) {
    const skip = (k) => {
      while (k < s.length && ' \t\n'.includes(s[k])) k++;
      return k;
    };
    let k = skip(p);
    let dest;
    if (s[k] === '<') {
      const e = look.next('>', k + 1);
      const bad = look.next('<\n', k + 1);
      if (e < 0 || (bad >= 0 && bad < e)) return null;
      dest = s.slice(k + 1, e);
      k = e + 1;
    } else {
      const close = look.close(k);
      if (close < 0) return null;
      const ws = look.next(' \t\n', k);
      const e = ws >= 0 && ws < close ? ws : close;
      dest = s.slice(k, e);
      k = e;
    }
    const afterDest = k;
    k = skip(k);
    let title = null;
    if ((s[k] === '"' || s[k] === "'") && k > afterDest) {
      const e = look.next(s[k], k + 1);
      if (e < 0) return null;
      title = unescape(s.slice(k + 1, e));
      k = skip(e + 1);
    }
    if (s[k] !== ')') return null;
    return { dest: unescape(dest), title, end: k + 1 };
  }

  const titleAttr = (title) => (title ? ' title="' + esc(title) + '"' : '');

  // inline renders one paragraph's or heading's text. inLink: inside a
  // link's text, where links are not recognized (images are). nest: how
  // many link or image descriptions this text is inside.
  function inline(s, inLink, nest = 0) {
    if (s.length > MAX_INLINE || nest > MAX_INLINE_NEST) return esc(s);
    const { code, bracket } = pairs(s);
    const look = new Lookups(s);
    const toks = [];
    let text = '';
    const special = /[\\`*_![<&\n]/g;
    let i = 0;
    while (i < s.length) {
      special.lastIndex = i;
      const m = special.exec(s);
      const j = m ? m.index : s.length;
      // Spaces before a line break are dropped (two or more make it hard).
      let end = j;
      if (m && s[j] === '\n') while (end > i && s[end - 1] === ' ') end--;
      if (end > i) text += esc(s.slice(i, end));
      if (!m) break;
      i = j;
      const c = s[i];
      if (c === '\\') {
        const n = s[i + 1];
        if (n === '\n') text += '<br>\n';
        else if (isASCIIPunct(n)) text += esc(n);
        else text += '\\';
        i += n === '\n' || isASCIIPunct(n) ? 2 : 1;
      } else if (c === '`') {
        let e = i;
        while (s[e] === '`') e++;
        const len = e - i;
        if (code.has(i)) {
          let body = s.slice(e, code.get(i)).replace(/\n/g, ' ');
          if (body.length > 2 && body[0] === ' ' && body[body.length - 1] === ' ' && body.trim()) body = body.slice(1, -1);
          text += '<code>' + esc(body) + '</code>';
          i = code.get(i) + len;
        } else {
          text += s.slice(i, e);
          i = e;
        }
      } else if (c === '*' || c === '_') {
        let e = i;
        while (s[e] === c) e++;
        const d = delimiter(c, e - i, s[i - 1], s[e]);
        if (d) {
          toks.push(text, d);
          text = '';
        } else text += s.slice(i, e);
        i = e;
      } else if (c === '!' || c === '[') {
        const r = c === '!' ? mdImage(s, i, bracket, look, nest) : inLink ? null : mdLink(s, i, bracket, look, nest);
        text += r ? r.html : c;
        i = r ? r.end : i + 1;
      } else if (c === '<') {
        const r = autolink(s, i);
        text += r ? r.html : '&lt;';
        i = r ? r.end : i + 1;
      } else if (c === '&') {
        const ent = /&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/y;
        ent.lastIndex = i;
        const e = ent.exec(s);
        text += e ? e[0] : '&amp;';
        i += e ? e[0].length : 1;
      } else {
        text += j - end >= 2 ? '<br>\n' : '\n';
        i++;
      }
    }
    toks.push(text);
    emphasis(toks);
    return toks.map(render).join('');
  }

  // delimiter classifies a run of * or _ by the characters around it
  // (CommonMark's flanking rules); null when it can neither open nor close.
  function delimiter(c, n, before, after) {
    const left = !isSpace(after) && (!isPunct(after) || isSpace(before) || isPunct(before));
    const right = !isSpace(before) && (!isPunct(before) || isSpace(after) || isPunct(after));
    const open = c === '*' ? left : left && (!right || isPunct(before));
    const close = c === '*' ? right : right && (!left || isPunct(after));
    if (!open && !close) return null;
    return { c, n, orig: n, open, close, opens: '', closes: '' };
  }

  // emphasis matches delimiter runs into <em> and <strong> with a stack,
  // as CommonMark's "process emphasis" does; bottom remembers, per kind of
  // closer, below which no opener can match, so the work stays linear.
  function emphasis(toks) {
    const stack = [];
    const bottom = {};
    for (const d of toks) {
      if (typeof d === 'string') continue;
      if (d.close) {
        const key = d.c + d.open + (d.orig % 3);
        for (;;) {
          let found = -1;
          for (let p = stack.length - 1; p >= (bottom[key] || 0); p--) {
            const o = stack[p];
            if (o.c !== d.c) continue;
            // The "rule of 3" for runs that can both open and close.
            if ((o.close || d.open) && (o.orig + d.orig) % 3 === 0 && (o.orig % 3 || d.orig % 3)) continue;
            found = p;
            break;
          }
          if (found < 0) {
            bottom[key] = stack.length;
            break;
          }
          const o = stack[found];
          const use = o.n >= 2 && d.n >= 2 ? 2 : 1;
          const tag = use === 2 ? 'strong' : 'em';
          o.n -= use;
          d.n -= use;
          o.opens = '<' + tag + '>' + o.opens;
          d.closes += '</' + tag + '>';
          // Runs between the two can no longer match; nor can a spent opener.
          stack.length = o.n > 0 ? found + 1 : found;
          for (const k in bottom) bottom[k] = Math.min(bottom[k], stack.length);
          if (d.n === 0) break;
        }
      }
      if (d.open && d.n > 0) stack.push(d);
    }
  }

  function render(tok) {
    if (typeof tok === 'string') return tok;
    return tok.closes + tok.c.repeat(tok.n) + tok.opens;
  }

  function mdLink(s, i, bracket, look, nest) {
    const j = bracket.get(i);
    if (j === undefined || s[j + 1] !== '(') return null;
    const t = target(s, j + 2, look);
    if (!t) return null;
    const text = inline(s.slice(i + 1, j), true, nest + 1);
    const html = safeTarget(t.dest) ? '<a href="' + esc(t.dest) + '"' + titleAttr(t.title) + '>' + text + '</a>' : text;
    return { html, end: t.end };
  }

  function mdImage(s, i, bracket, look, nest) {
    if (s[i + 1] !== '[') return null;
    const j = bracket.get(i + 1);
    if (j === undefined || s[j + 1] !== '(') return null;
    const t = target(s, j + 2, look);
    if (!t) return null;
    // The alt text is the plain text of the description.
    const alt = inline(s.slice(i + 2, j), true, nest + 1).replace(/<[^>]*>/g, '');
    const html = safeTarget(t.dest) ? '<img src="' + esc(t.dest) + '" alt="' + alt + '"' + titleAttr(t.title) + '>' : alt;
    return { html, end: t.end };
  }

  function autolink(s, i) {
    const uri = /<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*)>/y;
    const email = /<([^\s<>@\\]+@[^\s<>@\\]+)>/y;
    uri.lastIndex = email.lastIndex = i;
    let m = uri.exec(s);
    let href;
    if (m) href = m[1];
    else if ((m = email.exec(s))) href = 'mailto:' + m[1];
    if (!m || !safeTarget(href)) return null;
    return { html: '<a href="' + esc(href) + '">' + esc(m[1]) + '</a>', end: i + m[0].length };
  }

  // plainHTML shows text as text: paragraphs at blank lines, line breaks
  // at single newlines (as web/render.go's plainHTML).
  function plainHTML(text) {
    let out = '';
    for (const block of String(text).replace(/\r\n/g, '\n').split('\n\n')) {
      const para = block.replace(/^\n+|\n+$/g, '');
      if (!para.trim()) continue;
      out += '<p>' + para.split('\n').map(esc).join('<br>\n') + '</p>\n';
    }
    return out;
  }

  // toHTML turns a body of a content type into HTML for the sanitizer;
  // any type but HTML and Markdown is shown as text.
  function toHTML(contentType, text) {
    if (contentType === 'text/html') return String(text);
    if (contentType === 'text/markdown') return markdown(text);
    return plainHTML(text);
  }

  // ---- The sanitizer ----

  const ALLOWED = new Set(
    ('p h1 h2 h3 h4 h5 h6 ul ol li blockquote pre code em strong b i u s sub sup br hr figure ' +
      'figcaption table caption thead tbody tfoot tr th td dl dt dd span div small mark abbr q cite time').split(' '),
  );
  // Elements whose content is not article text (code, styles, embedded
  // documents, media, form controls, metadata): dropped with everything in
  // them. Any other element not allowed is unwrapped: its text stays.
  const DROP = new Set(
    ('script style template noscript iframe frame frameset object embed applet svg math textarea select ' +
      'option button input canvas audio video source track map area head title meta link base noembed noframes').split(' '),
  );

  // safeHref returns an absolute http(s) or mailto URL, normalized, or null.
  function safeHref(raw) {
    if (raw == null) return null;
    try {
      const u = new URL(String(raw).trim());
      return SCHEMES.has(u.protocol) ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  // cleanPath is Go's path.Clean for a relative path.
  function cleanPath(p) {
    const out = [];
    for (const seg of p.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..' && out.length && out[out.length - 1] !== '..') out.pop();
      else out.push(seg);
    }
    return out.join('/') || '.';
  }

  // attachmentName resolves an image's src to the attachment name it
  // refers to, as web/render.go's find does: a relative reference (no
  // scheme, host or leading '/'), without query or fragment, percent-
  // decoded, cleaned. null when it cannot name an attachment.
  function attachmentName(ref) {
    if (ref == null) return null;
    let s = String(ref).trim();
    if (/[\x00-\x1f\x7f]/.test(s)) return null;
    const hash = s.indexOf('#');
    if (hash >= 0) s = s.slice(0, hash);
    const q = s.indexOf('?');
    if (q >= 0) s = s.slice(0, q);
    // A colon before any '/' is a scheme (or, in Go, a parse error).
    if (s === '' || s[0] === '/' || /^[^/]*:/.test(s)) return null;
    let p;
    try {
      p = decodeURIComponent(s);
    } catch (e) {
      return null;
    }
    if (p[0] === '/') return null;
    return cleanPath(p);
  }

  function copyAttrs(src, dst, tag) {
    const lang = src.getAttribute('lang');
    if (lang != null && LANG_RE.test(lang)) dst.setAttribute('lang', lang);
    const dir = (src.getAttribute('dir') || '').toLowerCase();
    if (dir === 'ltr' || dir === 'rtl' || dir === 'auto') dst.setAttribute('dir', dir);
    const title = src.getAttribute('title');
    if (title) dst.setAttribute('title', title);
    const count = (name) => {
      const v = src.getAttribute(name);
      if (v != null && /^\s*\d{1,9}\s*$/.test(v)) dst.setAttribute(name, String(Math.min(Math.max(Number(v), 1), MAX_SPAN)));
    };
    if (tag === 'td' || tag === 'th') {
      count('colspan');
      count('rowspan');
    }
    if (tag === 'ol') count('start');
  }

  function link(el) {
    const href = safeHref(el.getAttribute('href'));
    if (!href) return null;
    const a = document.createElement('a');
    a.setAttribute('href', href);
    a.setAttribute('rel', 'noreferrer noopener');
    a.setAttribute('target', '_blank');
    a.setAttribute('referrerpolicy', 'no-referrer');
    return a;
  }

  const t = (k, p) => S.i18n.t(k, p);

  function failed(alt) {
    const span = document.createElement('span');
    span.className = 'img-failed';
    span.textContent = (alt ? '[' + alt + '] ' : '') + t('img.failed');
    return span;
  }

  // showImage makes the img for an attachment URL that may still be on
  // its way (a Promise); if it never comes, a note stands in.
  function showImage(src, alt, url) {
    const img = document.createElement('img');
    copyAttrs(src, img, 'img');
    if (alt) img.setAttribute('alt', alt);
    img.decoding = 'async';
    const done = Promise.resolve(url).then((u) => {
      if (!u) throw new Error('no image');
      img.src = u;
    });
    done.catch(() => img.replaceWith(failed(alt)));
    return { img, done };
  }

  // tapToLoad is an image in low-bandwidth mode: a button with its size
  // that fetches it only when tapped.
  function tapToLoad(src, name, info, alt, opts) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'img-tap';
    const label = document.createElement('span');
    label.textContent = t('img.tap', { size: S.i18n.size(info.size || 0) });
    b.append(label);
    if (alt) {
      const a = document.createElement('span');
      a.className = 'alt';
      a.dir = 'auto';
      a.textContent = alt;
      b.append(a);
    }
    b.addEventListener('click', (ev) => {
      // The button may sit inside a link: the tap is for the image only.
      ev.preventDefault();
      ev.stopPropagation();
      if (b.disabled) return;
      b.disabled = true;
      label.textContent = t('img.loading');
      let url;
      try {
        url = opts.attachmentURL(name);
      } catch (e) {
        url = null;
      }
      const { img, done } = showImage(src, alt, url);
      done.then(() => b.replaceWith(img), () => b.replaceWith(failed(alt)));
    });
    return b;
  }

  // image rebuilds an <img>: only one naming an attachment the caller
  // knows (opts.image(name) → {size}, or else attachmentURL(name) not
  // null) is shown; any other is replaced by its alt text. Nothing is
  // fetched but through attachmentURL.
  function image(el, opts) {
    const alt = el.getAttribute('alt') || '';
    const name = attachmentName(el.getAttribute('src'));
    const info = name === null ? null : opts.image ? opts.image(name) : {};
    if (info && opts.image && opts.lowBandwidth && !info.local) return tapToLoad(el, name, info, alt, opts);
    const url = info && opts.attachmentURL ? opts.attachmentURL(name) : null;
    if (!url) return alt ? '[' + alt + ']' : null;
    const { img, done } = showImage(el, alt, url);
    if (opts.pending) opts.pending.push(done);
    return img;
  }

  function copyKids(src, dst, opts, depth) {
    for (let n = src.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) dst.append(n.data);
      else if (n.nodeType === 1) copyElement(n, dst, opts, depth);
    }
  }

  function copyElement(el, dst, opts, depth) {
    const tag = el.localName;
    if (el.namespaceURI !== HTML_NS || DROP.has(tag)) return;
    if (tag === 'img') {
      const node = image(el, opts);
      if (node) dst.append(node);
      return;
    }
    let out = null;
    if (depth < MAX_DEPTH) out = tag === 'a' ? link(el) : ALLOWED.has(tag) ? document.createElement(tag) : null;
    if (!out) {
      copyKids(el, dst, opts, depth + 1);
      return;
    }
    copyAttrs(el, out, tag);
    copyKids(el, out, opts, depth + 1);
    dst.append(out);
  }

  // sanitize parses html in an inert document and rebuilds from it, in a
  // fragment of the live document, only allowed elements and attributes
  // (text is kept; text nodes are copied as text, never parsed again).
  // opts: attachmentURL(name) → Promise<url>|url|null, the URL of a
  // verified attachment's bytes (null: not an image of this article);
  // image(name) → {size, local}|null, optional, tells without fetching;
  // lowBandwidth: images not local wait for a tap (needs image); pending: an array
  // receiving a Promise per image being fetched.
  function sanitize(html, opts = {}) {
    const doc = new DOMParser().parseFromString(String(html), 'text/html');
    const frag = document.createDocumentFragment();
    copyKids(doc.body, frag, opts, 0);
    return frag;
  }

  // article renders an entry's body into container: text at once, images
  // as they arrive, one at a time in document order (or on tap in
  // low-bandwidth mode). attachmentURL(name) → Promise<url>|null gives a
  // URL of the verified attachment. Returns a Promise that settles when
  // the images fetched without a tap have.
  function article(container, { entry, bodyText, attachmentURL, lowBandwidth }) {
    const lang = entry.lang && LANG_RE.test(entry.lang) ? entry.lang : 'und';
    container.setAttribute('lang', lang);
    container.setAttribute('dir', S.i18n.dirOf(lang));
    const images = new Map();
    // An image already saved (a.data) costs nothing to show: no tap.
    for (const a of entry.attachments || []) {
      if (INLINE_IMAGES.has(a.contentType)) images.set(a.name, { size: a.size, local: !!a.data });
    }
    let chain = Promise.resolve();
    const queued = (name) => {
      if (!images.has(name)) return null;
      const p = chain.then(() => attachmentURL(name));
      chain = p.catch(() => {});
      return p;
    };
    const pending = [];
    const opts = { image: (name) => images.get(name) || null, attachmentURL: queued, lowBandwidth, pending };
    container.replaceChildren(sanitize(toHTML(entry.contentType, bodyText), opts));
    return Promise.allSettled(pending);
  }

  S.render = { markdown, plainHTML, toHTML, sanitize, article, attachmentName, safeHref, INLINE_IMAGES };
})(globalThis.samizdat ||= {});
