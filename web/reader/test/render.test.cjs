// Tests of the reader's interface code that runs without a DOM: the
// Markdown and plain-text renderers (their HTML strings, including for
// hostile input), attachment and link resolution, the interface strings
// and directions, and the memory store. The DOM sanitizer is tested in a
// real browser by the Go/Chromium tests (render.sanitize).
const test = require('node:test');
const assert = require('node:assert/strict');
const S = require('./load.cjs')(['base.js', 'i18n.js', 'render.js', 'store.js']);

const md = S.render.markdown;

test('markdown renders the subset', () => {
  const cases = [
    ['', ''],
    ['plain text', '<p>plain text</p>\n'],
    ['# Title', '<h1>Title</h1>\n'],
    ['###### six ######', '<h6>six</h6>\n'],
    ['####### seven', '<p>####### seven</p>\n'],
    ['#not a heading', '<p>#not a heading</p>\n'],
    ['# a #b', '<h1>a #b</h1>\n'],
    ['Setext\n===', '<h1>Setext</h1>\n'],
    ['Setext\n---', '<h2>Setext</h2>\n'],
    ['one\ntwo\n\nthree', '<p>one\ntwo</p>\n<p>three</p>\n'],
    ['*em* _em_ **strong** __strong__', '<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong></p>\n'],
    ['***both***', '<p><em><strong>both</strong></em></p>\n'],
    ['*foo**bar*', '<p><em>foo**bar</em></p>\n'],
    ['snake_case_name and 2*3*4', '<p>snake_case_name and 2<em>3</em>4</p>\n'],
    ['* not emphasis *', '<ul>\n<li>not emphasis *</li>\n</ul>\n'],
    ['a * b * c', '<p>a * b * c</p>\n'],
    ['**unclosed', '<p>**unclosed</p>\n'],
    ['`code` and `` a`b ``', '<p><code>code</code> and <code>a`b</code></p>\n'],
    ['`<b>&amp;</b>`', '<p><code>&lt;b&gt;&amp;amp;&lt;/b&gt;</code></p>\n'],
    ['`unclosed', '<p>`unclosed</p>\n'],
    ['*a `*` b*', '<p><em>a <code>*</code> b</em></p>\n'],
    ['\\*literal\\* \\_x\\_ \\a', '<p>*literal* _x_ \\a</p>\n'],
    ['hard  \nbreak\\\nagain', '<p>hard<br>\nbreak<br>\nagain</p>\n'],
    ['soft \nbreak', '<p>soft\nbreak</p>\n'],
    ['[text](https://example.org/a_(b) "T")', '<p><a href="https://example.org/a_(b)" title="T">text</a></p>\n'],
    ['[*em* text](http://x.y)', '<p><a href="http://x.y"><em>em</em> text</a></p>\n'],
    ['[a](<b c>)', '<p><a href="b c">a</a></p>\n'],
    ['[mail](mailto:a@b.c)', '<p><a href="mailto:a@b.c">mail</a></p>\n'],
    ['[rel](notes/a.html)', '<p><a href="notes/a.html">rel</a></p>\n'],
    ['[a](b?x=1&y=2)', '<p><a href="b?x=1&amp;y=2">a</a></p>\n'],
    ['[a] [b]( c', '<p>[a] [b]( c</p>\n'],
    ['[outer [inner](x)](y)', '<p><a href="y">outer [inner](x)</a></p>\n'],
    ['![alt *text*](img/a.png "T")', '<p><img src="img/a.png" alt="alt text" title="T"></p>\n'],
    ['[![pic](a.png)](https://x.y)', '<p><a href="https://x.y"><img src="a.png" alt="pic"></a></p>\n'],
    ['<https://x.y/?a=1&b=2>', '<p><a href="https://x.y/?a=1&amp;b=2">https://x.y/?a=1&amp;b=2</a></p>\n'],
    ['<a@b.c>', '<p><a href="mailto:a@b.c">a@b.c</a></p>\n'],
    ['Tom &amp; Jerry &copy; &#169; & co', '<p>Tom &amp; Jerry &copy; &#169; &amp; co</p>\n'],
    ['- a\n- b', '<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n'],
    ['- a\n\n- b', '<ul>\n<li><p>a</p></li>\n<li><p>b</p></li>\n</ul>\n'],
    ['- a\n  lazy\ncontinued', '<ul>\n<li>a\nlazy\ncontinued</li>\n</ul>\n'],
    ['- a\n+ b', '<ul>\n<li>a</li>\n</ul>\n<ul>\n<li>b</li>\n</ul>\n'],
    ['1. one\n2. two\n   - nested', '<ol>\n<li>one</li>\n<li>two\n<ul>\n<li>nested</li>\n</ul></li>\n</ol>\n'],
    ['3) x\n4) y', '<ol start="3">\n<li>x</li>\n<li>y</li>\n</ol>\n'],
    ['para\n2. not a list', '<p>para\n2. not a list</p>\n'],
    ['para\n- list', '<p>para</p>\n<ul>\n<li>list</li>\n</ul>\n'],
    ['> quote\nlazy\n> > deep', '<blockquote>\n<p>quote\nlazy</p>\n<blockquote>\n<p>deep</p>\n</blockquote>\n</blockquote>\n'],
    ['```js\n<b>\n\n```\nafter', '<pre><code>&lt;b&gt;\n\n</code></pre>\n<p>after</p>\n'],
    ['~~~\nunclosed', '<pre><code>unclosed\n</code></pre>\n'],
    ['    code\n\n    more\n', '<pre><code>code\n\nmore\n</code></pre>\n'],
    ['\tcode', '<pre><code>code\n</code></pre>\n'],
    ['***', '<hr>\n'],
    ['- - -', '<hr>\n'],
    ['a\r\nb', '<p>a\nb</p>\n'],
  ];
  for (const [input, want] of cases) assert.equal(md(input), want, JSON.stringify(input));
});

test('markdown shows raw HTML as text and drops unsafe targets', () => {
  const cases = [
    ['<script>alert(1)</script>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n'],
    ['<img src=x onerror="alert(1)">', '<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>\n'],
    ['<a href="javascript:alert(1)">x</a>', '<p>&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;</p>\n'],
    ['<div onclick=alert(1)>', '<p>&lt;div onclick=alert(1)&gt;</p>\n'],
    ['[x](javascript:alert(1))', '<p>x</p>\n'],
    ['[x](JaVaScRiPt:alert(1))', '<p>x</p>\n'],
    ['[x]( javascript:alert(1) )', '<p>x</p>\n'],
    ['[x](<java\tscript:alert(1)>)', '<p>x</p>\n'],
    ['[x](<\u0001javascript:alert(1)>)', '<p>x</p>\n'],
    // NUL becomes U+FFFD (CommonMark), which no scheme holds: a relative link.
    ['[x](<java\u0000script:alert(1)>)', '<p><a href="java\ufffdscript:alert(1)">x</a></p>\n'],
    ['[x](vbscript:msgbox)', '<p>x</p>\n'],
    ['[x](data:text/html,<script>alert(1)</script>)', '<p>x</p>\n'],
    ['[x](javascript&colon;alert(1))', '<p><a href="javascript&amp;colon;alert(1)">x</a></p>\n'],
    ['![y](javascript:alert(1))', '<p>y</p>\n'],
    ['![y](data:image/png;base64,AAAA)', '<p>y</p>\n'],
    ['<javascript:alert(1)>', '<p>&lt;javascript:alert(1)&gt;</p>\n'],
    ['[x](a"onmouseover="alert(1))', '<p><a href="a&quot;onmouseover=&quot;alert(1)">x</a></p>\n'],
    ['[x](a "t\\" onmouseover=\\"alert(1)")', '<p>[x](a &quot;t&quot; onmouseover=&quot;alert(1)&quot;)</p>\n'],
    ['![a" onerror="alert(1)](p.png)', '<p><img src="p.png" alt="a&quot; onerror=&quot;alert(1)"></p>\n'],
    ['`</code><script>`', '<p><code>&lt;/code&gt;&lt;script&gt;</code></p>\n'],
  ];
  for (const [input, want] of cases) assert.equal(md(input), want, JSON.stringify(input));
});

// wellFormed checks that html is made only of the tags and attributes the
// Markdown renderer may write, balanced, with text that holds no raw
// markup, and with no link or image target but http(s), mailto or
// relative.
const TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'em', 'strong', 'code', 'pre', 'a', 'img', 'br', 'hr', 'ul', 'ol', 'li', 'blockquote']);
const VOID = new Set(['br', 'hr', 'img']);
const ATTRS = { a: ['href', 'title'], img: ['src', 'alt', 'title'], ol: ['start'] };
const decode = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function wellFormed(html, input) {
  const where = 'for input ' + JSON.stringify(input) + ': ' + JSON.stringify(html);
  const stack = [];
  const re = /<(\/?)([a-z0-9]+)((?: [a-z]+="[^"<>]*")*)>|[<>"]/g;
  let m;
  while ((m = re.exec(html))) {
    assert.ok(m[2], 'raw ' + m[0] + ' outside a tag ' + where);
    const [, close, tag, attrs] = m;
    assert.ok(TAGS.has(tag), 'tag ' + tag + ' ' + where);
    if (close) {
      assert.equal(stack.pop(), tag, 'unbalanced ' + where);
      continue;
    }
    for (const [, name, value] of attrs.matchAll(/ ([a-z]+)="([^"]*)"/g)) {
      assert.ok((ATTRS[tag] || []).includes(name), 'attribute ' + name + ' on ' + tag + ' ' + where);
      if (name === 'href' || name === 'src') {
        const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(decode(value).replace(/[\x00-\x20\x7f]/g, ''));
        assert.ok(!scheme || ['http', 'https', 'mailto'].includes(scheme[1].toLowerCase()), 'target ' + value + ' ' + where);
      }
    }
    if (!VOID.has(tag)) stack.push(tag);
  }
  assert.deepEqual(stack, [], 'unclosed ' + where);
}

// mulberry32: a small seeded generator, so a failure can be replayed.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('markdown output is well formed for random hostile input', () => {
  const parts = ['*', '**', '_', '__', '`', '``', '```', '~~~', '[', ']', '(', ')', '](', '!', '![', '<', '>', '> ', '&', '&amp;',
    '&#x3c;', '#', '# ', '- ', '* ', '1. ', '2) ', '\n', '\n\n', ' ', '  ', '    ', '\t', '\\', '"', "'", 'a', 'b c', 'ي',
    'http://x.y', 'javascript:alert(1)', 'JAVA\tSCRIPT:x', 'data:text/html,x', '<script>', '</p>', 'onerror=', ' onclick="x"',
    '<img src=x onerror=alert(1)>', '<http://a.b>', '<a@b>', '<javascript:x>', '](javascript:x)', '](http://ok "t")', '---', '===', '\u0000'];
  const rand = rng(20261125);
  for (let n = 0; n < 4000; n++) {
    let input = '';
    const len = Math.floor(rand() * 40);
    for (let i = 0; i < len; i++) input += parts[Math.floor(rand() * parts.length)];
    wellFormed(md(input), input);
  }
});

test('markdown takes linear time on pathological input', () => {
  const N = 100000;
  const inputs = {
    brackets: '['.repeat(N),
    nested: '['.repeat(N / 2) + ']'.repeat(N / 2),
    openLinks: '[a]('.repeat(N / 4),
    openTitles: '[a](b "'.repeat(N / 7),
    parens: '[a](' + '('.repeat(N),
    nestedTargets: '[a]('.repeat(N / 8) + ' z' + ')'.repeat(N / 8),
    delimiters: '*_'.repeat(N / 2),
    emphasis: '*a '.repeat(N / 3),
    backticks: Array.from({ length: 400 }, (_, i) => '`'.repeat(i + 1)).join('x'),
    autolinks: '<a:'.repeat(N / 3),
    hardBreaks: 'a  \n'.repeat(N / 4),
    quotes: '>'.repeat(N),
    lists: Array.from({ length: 300 }, (_, i) => ' '.repeat(2 * i) + '- x').join('\n'),
    spaces: '# a' + ' '.repeat(N) + 'b',
    longParagraph: 'word *and* [link](x) '.repeat(20000),
  };
  for (const [name, input] of Object.entries(inputs)) {
    const t0 = performance.now();
    md(input);
    const ms = performance.now() - t0;
    // Quadratic work at this size takes minutes; linear, milliseconds. The
    // bound catches only the catastrophic case, with room for a loaded
    // CI machine: it is no speed target.
    assert.ok(ms < 30000, name + ' took ' + Math.round(ms) + ' ms');
  }
});

test('plainHTML makes paragraphs and escapes', () => {
  const cases = [
    ['', ''],
    ['one', '<p>one</p>\n'],
    ['a\nb\n\nc', '<p>a<br>\nb</p>\n<p>c</p>\n'],
    ['a\r\n\r\n\r\nb', '<p>a</p>\n<p>b</p>\n'],
    ['  \n\n<script>x</script> & "q"', '<p>&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;</p>\n'],
  ];
  for (const [input, want] of cases) assert.equal(S.render.plainHTML(input), want, JSON.stringify(input));
});

test('toHTML chooses the renderer by content type', () => {
  assert.equal(S.render.toHTML('text/html', '<b>x</b>'), '<b>x</b>');
  assert.equal(S.render.toHTML('text/markdown', '*x*'), '<p><em>x</em></p>\n');
  assert.equal(S.render.toHTML('text/plain', '*x*'), '<p>*x*</p>\n');
  assert.equal(S.render.toHTML('application/octet-stream', '<b>'), '<p>&lt;b&gt;</p>\n');
  assert.equal(S.render.toHTML('Text/HTML', '<b>'), '<p>&lt;b&gt;</p>\n');
});

test('attachmentName resolves as the Go reader does', () => {
  const cases = [
    ['img.png', 'img.png'],
    ['  img/a.png ', 'img/a.png'],
    ['./img/../a.png', 'a.png'],
    ['a//b/./c.png', 'a/b/c.png'],
    ['a%20b.png', 'a b.png'],
    ['a.png?x=1#frag', 'a.png'],
    ['%E2%9C%93.png', '✓.png'],
    ['../a.png', '../a.png'],
    ['/a.png', null],
    ['%2Fa.png', null],
    ['//host/a.png', null],
    ['http://host/a.png', null],
    ['javascript:alert(1)', null],
    ['c:a.png', null],
    ['data:image/png;base64,AA', null],
    ['a%zz.png', null],
    ['a\u0001.png', null],
    ['', null],
    ['?x', null],
    ['#x', null],
    [null, null],
  ];
  for (const [ref, want] of cases) assert.equal(S.render.attachmentName(ref), want, JSON.stringify(ref));
});

test('safeHref keeps only absolute http(s) and mailto', () => {
  const cases = [
    ['https://example.org/a?b#c', 'https://example.org/a?b#c'],
    [' HTTP://Example.org ', 'http://example.org/'],
    ['mailto:a@b.c', 'mailto:a@b.c'],
    ['javascript:alert(1)', null],
    [' JavaScript:alert(1)', null],
    ['java\nscript:alert(1)', null],
    ['data:text/html,x', null],
    ['file:///etc/passwd', null],
    ['//evil.example/', null],
    ['relative/path', null],
    ['#anchor', null],
    ['', null],
    [null, null],
  ];
  for (const [href, want] of cases) assert.equal(S.render.safeHref(href), want, JSON.stringify(href));
});

test('i18n: every key in every language, with the same parameters', () => {
  const { strings } = S.i18n;
  const langs = Object.keys(S.i18n.NAMES);
  assert.deepEqual(Object.keys(strings).sort(), [...langs].sort());
  const params = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  const keys = Object.keys(strings.en);
  assert.ok(keys.length > 50);
  for (const lang of langs) {
    assert.deepEqual(Object.keys(strings[lang]).sort(), [...keys].sort(), lang + ' has other keys than en');
    for (const k of keys) {
      const s = strings[lang][k];
      assert.equal(typeof s, 'string', lang + ' ' + k);
      assert.ok(s.trim().length > 0, lang + ' ' + k + ' is empty');
      assert.deepEqual(params(s), params(strings.en[k]), lang + ' ' + k + ' parameters');
      if (lang !== 'en' && !/^kind\.|^pub\./.test(k)) assert.notEqual(s, strings.en[k], lang + ' ' + k + ' is not translated');
    }
  }
});

test('i18n: t substitutes parameters and falls back', (t) => {
  t.after(() => S.i18n.setLang('en'));
  S.i18n.setLang('en');
  assert.equal(S.i18n.t('st.bundle', { n: 3 }), 'Verifying bundle 3…');
  assert.equal(S.i18n.t('trust.stale', { date: 'D' }), 'No update since D: possibly blocked.');
  assert.equal(S.i18n.t('st.bundle'), 'Verifying bundle {n}…');
  assert.equal(S.i18n.t('st.bundle', {}), 'Verifying bundle {n}…');
  assert.equal(S.i18n.t('list.nomatch', { q: '{n} $& $1' }), 'No title contains “{n} $& $1”.');
  assert.equal(S.i18n.t('no.such.key'), 'no.such.key');
  assert.equal(S.i18n.setLang('fa-IR'), 'fa');
  assert.equal(S.i18n.lang, 'fa');
  assert.equal(S.i18n.t('st.bundle', { n: 2 }), 'در حال بررسی اصالت بستهٔ 2…');
  assert.equal(S.i18n.setLang('de'), 'en');
  assert.equal(S.i18n.setLang('zh-TW'), 'zh');
});

test('i18n: detect picks the first supported browser language', () => {
  assert.equal(S.i18n.detect(['de-DE', 'ru-RU', 'en']), 'ru');
  assert.equal(S.i18n.detect(['prs-AF']), 'fa');
  assert.equal(S.i18n.detect(['ar-EG']), 'ar');
  assert.equal(S.i18n.detect(['de', 'fr']), 'en');
  assert.equal(S.i18n.detect([]), 'en');
});

test('i18n: dirOf gives the direction of a language tag', () => {
  const cases = [
    ['ar', 'rtl'], ['ar-EG', 'rtl'], ['AR', 'rtl'], ['fa', 'rtl'], ['fa_IR', 'rtl'], ['he', 'rtl'], ['iw', 'rtl'],
    ['ur', 'rtl'], ['ps', 'rtl'], ['sd', 'rtl'], ['ug', 'rtl'], ['yi', 'rtl'], ['ckb', 'rtl'], ['dv', 'rtl'],
    ['az-Arab', 'rtl'], ['pa-Arab-PK', 'rtl'], ['jrb-Hebr', 'rtl'], ['dv-Thaa', 'rtl'], ['aii-Syrc', 'rtl'], ['und-Arab', 'rtl'],
    ['ar-Latn', 'ltr'], ['en', 'ltr'], ['en-US', 'ltr'], ['ru', 'ltr'], ['zh-Hans-CN', 'ltr'], ['sr-Cyrl', 'ltr'],
    ['en-x-arab', 'ltr'], ['en-u-nu-arab', 'ltr'],
    ['und', 'auto'], ['', 'auto'], [undefined, 'auto'], ['x-private', 'auto'], ['1234', 'auto'],
  ];
  for (const [tag, want] of cases) assert.equal(S.i18n.dirOf(tag), want, JSON.stringify(tag));
});

test('i18n: fold matches titles however they are typed', () => {
  const f = S.i18n.fold;
  assert.ok(f('Hello World').includes(f('WORLD')));
  assert.ok(f('ПРИВЕТ мир').includes(f('привет')));
  assert.ok(f('مي‌خواهم').includes(f('میخواهم'))); // Arabic yeh, ZWNJ
  assert.ok(f('كتاب').includes(f('کتاب'))); // Arabic and Persian kaf
  assert.ok(f('مَدرَسة').includes(f('مدرسه'))); // harakat, teh marbuta
  assert.ok(f('ｓａｍｉｚｄａｔ').includes(f('samizdat'))); // compatibility forms
  assert.ok(!f('abc').includes(f('abd')));
});

test('i18n: sizes and dates in the interface language', (t) => {
  t.after(() => S.i18n.setLang('en'));
  S.i18n.setLang('en');
  assert.match(S.i18n.size(34 * 1024), /^34\s?kB$/);
  assert.match(S.i18n.size(100), /^100\s?byte/);
  assert.match(S.i18n.size(3.5 * 1024 * 1024), /^3\.5\s?MB$/);
  assert.match(S.i18n.date(Date.UTC(2026, 0, 15, 12)), /2026/);
  assert.equal(S.i18n.date(1e20), ''); // beyond what Date can hold: nothing, not a throw
  assert.equal(S.i18n.num(12345678901234567890n), '12345678901234567890');
  assert.equal(S.i18n.list(['a', 'b', 'c']), 'a, b, and c');
});

test('memory store keeps heads, blocks, articles and settings', async () => {
  const st = new S.store.MemoryStore();
  assert.equal(st.persistent, false);
  const bytes = new Uint8Array([1, 2, 3]);
  assert.equal(await st.getHead('P'), undefined);
  await st.putHead('P', bytes);
  assert.deepEqual(await st.getHead('P'), bytes);
  await st.putBlock('bafyx', bytes);
  assert.deepEqual(await st.getBlock('bafyx'), bytes);
  await st.putSetting('lowBandwidth', true);
  assert.equal(await st.getSetting('lowBandwidth'), true);

  const rec = (id, title, published, data) => ({
    id, title, lang: 'fa', published, updated: 0, summary: '', authors: [], url: '', contentType: 'text/plain',
    size: 1, cid: new Uint8Array([id.length]), body: S.utf8Encode('body ' + id),
    attachments: [{ name: 'a.png', contentType: 'image/png', size: 2, cid: new Uint8Array([9]), data }],
    bundle: 'bafyroot', headSeq: '7', mirror: 'https://m/', savedAt: 1,
  });
  await st.putArticle('P', rec('old', 'کتاب قدیمی', 100, undefined));
  await st.putArticle('P', rec('new', 'Новая книга', 200, new Uint8Array([5, 6])));
  await st.putArticle('Q', rec('other', 'کتاب دیگر', 300, undefined));

  const got = await st.getArticle('P', 'new');
  assert.equal(got.title, 'Новая книга');
  assert.deepEqual(got.body, S.utf8Encode('body new'));
  assert.deepEqual(got.attachments[0].data, new Uint8Array([5, 6]));
  assert.equal(got.headSeq, '7');
  assert.equal(await st.getArticle('P', 'missing'), undefined);
  assert.equal(await st.getArticle('Q', 'new'), undefined);

  const list = await st.listArticles('P');
  assert.deepEqual(list.map((r) => r.id), ['new', 'old']); // newest first
  assert.equal(list[0].body, undefined); // lists carry no content
  assert.equal(list[0].attachments[0].data, undefined);
  assert.equal(list[0].attachments[0].name, 'a.png');

  assert.deepEqual((await st.searchTitles('كتاب', 'P')).map((r) => r.id), ['old']);
  assert.deepEqual((await st.searchTitles('كتاب')).map((r) => r.id), ['other', 'old']);
  assert.deepEqual((await st.searchTitles('НОВАЯ', 'P')).map((r) => r.id), ['new']);
  assert.deepEqual(await st.searchTitles('nothing'), []);

  // Saving again replaces, and the caller's record is not changed.
  const again = rec('old', 'renamed', 100, new Uint8Array([1]));
  await st.putArticle('P', again);
  assert.equal((await st.getArticle('P', 'old')).title, 'renamed');
  assert.deepEqual(again.attachments[0].data, new Uint8Array([1]));
  assert.ok(again.body instanceof Uint8Array);
  assert.equal((await st.listArticles('P')).length, 2);
});

test('markdown bounds the nesting of images and links', () => {
  // Each image's description is parsed again as its alt text: unbounded,
  // nested images cost quadratic time and overflow the stack.
  const d = 4000;
  const inputs = {
    images: '!['.repeat(d) + 'a' + '](x.png)'.repeat(d),
    imagesInLink: '[' + '!['.repeat(d) + 'a' + '](x.png)'.repeat(d) + '](https://x.y)',
  };
  for (const [name, input] of Object.entries(inputs)) {
    const t0 = performance.now();
    let out;
    assert.doesNotThrow(() => (out = md(input)), name);
    const ms = performance.now() - t0;
    // As above: only the catastrophic case (the stack overflow is the
    // sharper check, and doesNotThrow makes it).
    assert.ok(ms < 30000, name + ' took ' + Math.round(ms) + ' ms');
    wellFormed(out, input);
  }
  // Within the bound, nesting renders as before: the outer image.
  assert.equal(md('[![![inner](a.png)](b.png)](https://x.y)'), '<p><a href="https://x.y"><img src="b.png" alt=""></a></p>\n');
});
