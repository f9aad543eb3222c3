// The trust chain, as the Go reader checks it: publisher documents and
// their authorization rules (bundle-format.md §6, §7), heads (protocol.md
// §4: the IPNS record, the wrapper of a delegated head, the head rule)
// and catalogs (protocol.md §5). Publisher ID → document → head key →
// record → catalog; bundle.js goes on from the catalog's bundles.
//
// Go strings are bytes: objects are decoded with cbor's binaryText, so a
// type field that is not UTF-8 is a wrong type here as in Go, and only
// the fields Go checks for UTF-8 (a document's name) are checked.
(function (S) {
  'use strict';

  const fail = S.fail;
  const mf = S.mf;
  const cbor = S.cbor;
  const L = S.limits;

  const FORMAT_VERSION = 1;
  const DOC_TYPE = 'samizdat/publisher';
  const HEAD_TYPE = 'samizdat/head';
  const CATALOG_TYPE = 'samizdat/catalog';
  // bundle-format.md §6: the root key signs this, then the payload.
  const DOC_CONTEXT = S.utf8Encode('samizdat publisher v1\x00');
  // The IPNS record spec: signatureV2 covers this, then the data.
  const IPNS_CONTEXT = S.utf8Encode('ipns-signature:');
  // The record's signed field naming the document a delegated head was
  // signed under (protocol.md §4.2).
  const RECORD_DOC_KEY = '_samizdat_doc';
  // The value an empty IPNS Value stands for (boxo's NoopValue).
  const NOOP_VALUE = '/ipfs/bafkqaaa';
  // Protobuf's nesting limit for groups (protowire's DefaultRecursionLimit).
  const PB_RECURSION_LIMIT = 10000;
  const PB_MAX_FIELD = 2 ** 29 - 1;
  // Seconds from year 1 to 1970: Go's time.Time counts from year 1 in an
  // int64, which AuthorizeHead's comparison wraps around (see untilAfter).
  const UNIX_TO_INTERNAL = 62135596800n;
  const NS = 1000000000n;

  const INT64_MAX = (1n << 63n) - 1n;

  function isMap(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) &&
      !(v instanceof cbor.Link) && !(v instanceof cbor.Float);
  }

  // goInt is what go-ipld-prime's AsInt gives for a decoded value: a
  // BigInt, or undefined for anything but an integer in int64's range.
  function goInt(v) {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
    if (typeof v === 'bigint' && v <= INT64_MAX) return v;
    return undefined;
  }

  function has(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  // ---- Publisher documents (bundle-format.md §5, §7, §9 step 9) ----

  const REVOCATION = { key: 'bytes', after: 'int' };
  const HEAD_KEY = { key: 'bytes', until: 'int' };
  const DOC_SCHEMA = {
    payload: {
      v: 'int', type: 'string', publisher: 'string', seq: 'int', created: 'int', name: 'string',
      keys: ['list', 'bytes'], revoked: ['list', REVOCATION], heads: { opt: ['list', HEAD_KEY] },
      mirrors: { opt: ['list', 'string'] },
    },
    sig: 'bytes',
  };

  // checkVersion reads payload.v without the schema, before the strict
  // decoding, so a future version is reported as such (Go's checkVersion):
  // whatever it cannot read is left to the strict decoder.
  function checkVersion(bytes) {
    let top;
    try {
      top = cbor.decode(bytes, { relaxed: true });
    } catch (e) {
      if (e instanceof S.VerifyError) return;
      throw e;
    }
    if (!isMap(top) || !has(top, 'payload') || !isMap(top.payload) || !has(top.payload, 'v')) return;
    const v = goInt(top.payload.v);
    if (v !== undefined && v !== BigInt(FORMAT_VERSION)) fail('ErrUnsupportedVersion', 'version ' + v);
  }

  // parseDocument verifies a publisher document from its block bytes (its
  // CID is computed from them), in Go's order: size, version, strict
  // canonical decoding, type, fields, the root key's signature, then the
  // keys' fields.
  async function parseDocument(bytes) {
    if (!(bytes instanceof Uint8Array)) fail('ErrMalformed', 'publisher document is not bytes');
    if (bytes.length > L.MaxAuthoritySize) fail('ErrTooLarge', 'publisher document of ' + bytes.length + ' bytes');
    const cid = await mf.cidOf(mf.CODEC.DAG_CBOR, bytes);
    checkVersion(bytes);
    const doc = cbor.struct(cbor.decode(bytes, { binaryText: true }), DOC_SCHEMA, 'publisher document');
    const pl = doc.payload;
    if (pl.type !== DOC_TYPE) fail('ErrWrongType', JSON.stringify(pl.type.slice(0, 40)) + ' where a publisher document belongs');
    let root;
    try {
      root = mf.publisherKey(pl.publisher);
    } catch (e) {
      if (e instanceof S.VerifyError) fail('ErrMalformed', 'publisher document names no valid publisher');
      throw e;
    }
    const max = L.MaxAuthorityKeys;
    if (BigInt(pl.seq) <= 0n || pl.keys.length > max || pl.revoked.length > max ||
        (pl.heads !== undefined && (pl.heads.length === 0 || pl.heads.length > max)) ||
        pl.name.length > L.MaxNameLen || !isUTF8(pl.name) || pl.publisher !== mf.publisherID(root)) {
      fail('ErrMalformed', 'publisher document fields out of range');
    }
    if (pl.mirrors !== undefined) checkMirrors(pl.mirrors);
    const msg = mf.concat(DOC_CONTEXT, cbor.encode(pl, { binaryText: true }));
    if (!(await mf.verifyEd25519(root, msg, doc.sig))) fail('ErrBadSignature', 'publisher document');
    for (const k of pl.keys) {
      if (k.length !== 32) fail('ErrMalformed', 'key of ' + k.length + ' bytes in publisher document');
    }
    for (const r of pl.revoked) {
      if (r.key.length !== 32 || BigInt(r.after) < 0n) fail('ErrMalformed', 'revocation in publisher document');
    }
    for (const hk of pl.heads || []) {
      if (hk.key.length !== 32 || BigInt(hk.until) <= 0n) fail('ErrMalformed', 'head key in publisher document');
    }
    return {
      bytes,
      cid,
      seq: BigInt(pl.seq),
      created: BigInt(pl.created),
      publisher: pl.publisher,
      root,
      name: S.utf8(cbor.latin1Bytes(pl.name)),
      keys: pl.keys,
      revoked: pl.revoked.map((r) => ({ key: r.key, after: BigInt(r.after) })),
      // until as Number (Unix seconds) for display; untilSeconds exact.
      heads: (pl.heads || []).map((hk) => ({ key: hk.key, until: Number(hk.until), untilSeconds: BigInt(hk.until) })),
      // Where else the publisher can be fetched: hints, not trust (all a
      // mirror serves is verified). Printable ASCII, so the binary
      // strings are the text.
      mirrors: pl.mirrors ? pl.mirrors.slice() : [],
    };
  }

  // checkMirrors is Go's rule for a document's mirror list (checkMirrors
  // in bundle/authority.go, bundle-format.md §7): present means 1 to
  // MaxMirrors entries (absent is how none is written), each 1 to
  // MaxMirrorLen bytes of printable ASCII without spaces, no two alike.
  // Every violation is ErrMalformed. The strings are binary (one char a
  // byte), so lengths and code units are bytes.
  function checkMirrors(mirrors) {
    if (mirrors.length === 0 || mirrors.length > L.MaxMirrors) {
      fail('ErrMalformed', "publisher document's mirrors: " + mirrors.length + ' entries');
    }
    const seen = new Set();
    for (const m of mirrors) {
      if (m.length === 0 || m.length > L.MaxMirrorLen) fail('ErrMalformed', 'a mirror of ' + m.length + ' bytes');
      for (let i = 0; i < m.length; i++) {
        const c = m.charCodeAt(i);
        if (c <= 0x20 || c > 0x7e) fail('ErrMalformed', 'a mirror with a byte 0x' + c.toString(16) + ': printable ASCII only');
      }
      if (seen.has(m)) fail('ErrMalformed', 'a mirror listed twice');
      seen.add(m);
    }
  }

  // isUTF8 checks a binary string's bytes, as Go's utf8.ValidString.
  function isUTF8(binary) {
    try {
      S.utf8(cbor.latin1Bytes(binary));
      return true;
    } catch (e) {
      if (e instanceof S.VerifyError) return false;
      throw e;
    }
  }

  // eolNs takes a head's end of validity as a BigInt of Unix nanoseconds,
  // or a Number of Unix seconds (to the millisecond).
  function eolNs(eol) {
    if (typeof eol === 'bigint') return eol;
    if (typeof eol === 'number' && Number.isFinite(eol)) return BigInt(Math.round(eol * 1000)) * 1000000n;
    throw new TypeError('end of validity: ' + eol);
  }

  // untilAfter reports whether the time ns (Unix nanoseconds) is after the
  // whole second untilSeconds, as Go's time.After compares them: by
  // seconds since year 1 in an int64. An until within ~62 billion seconds
  // of the int64 limit wraps there to a time before year 1, so Go finds
  // every head after it; so does this (a document's until is the
  // publisher's, and the verdict must be the Go reader's).
  function untilAfter(ns, untilSeconds) {
    let sec = ns / NS;
    let nsec = ns % NS;
    if (nsec < 0n) {
      sec -= 1n;
      nsec += NS;
    }
    const t = BigInt.asIntN(64, sec + UNIX_TO_INTERNAL);
    const u = BigInt.asIntN(64, untilSeconds + UNIX_TO_INTERNAL);
    return t > u || (t === u && nsec > 0n);
  }

  // authorizeHead is bundle-format.md §7's rule for heads: key may sign a
  // head valid until eol (Unix seconds, or a BigInt of nanoseconds) under
  // doc: no revocation names it (ErrKeyRevoked), heads lists it
  // (ErrKeyNotAuthorized), eol is not after its until (ErrKeyNotAuthorized).
  // The root key needs no document and is not special here.
  function authorizeHead(doc, key, eol) {
    const ns = eolNs(eol);
    for (const r of doc.revoked) {
      if (S.equalBytes(r.key, key)) fail('ErrKeyRevoked', 'head key ' + mf.publisherID(key) + ', publisher document ' + doc.seq);
    }
    for (const hk of doc.heads) {
      if (!S.equalBytes(hk.key, key)) continue;
      if (untilAfter(ns, hk.untilSeconds ?? BigInt(hk.until))) fail('ErrKeyNotAuthorized', "head valid past its key's window");
      return;
    }
    fail('ErrKeyNotAuthorized', 'head key ' + mf.publisherID(key) + ', publisher document ' + doc.seq);
  }

  // authorizeBundle is bundle-format.md §7's rule for a bundle with
  // sequence seq signed by key: the root key always may; else, in order,
  // a revocation that covers seq (ErrKeyRevoked), keys listing it, a
  // revocation from before seq (a retired key's earlier bundles), else
  // ErrKeyNotAuthorized. No document: ErrKeyNotAuthorized.
  function authorizeBundle(doc, key, seq) {
    if (!doc) fail('ErrKeyNotAuthorized', 'delegated signer without a publisher document');
    if (S.equalBytes(key, doc.root ?? mf.publisherKey(doc.publisher))) return;
    const s = BigInt(seq);
    for (const r of doc.revoked) {
      if (S.equalBytes(r.key, key) && (r.after === 0n || s > r.after)) {
        fail('ErrKeyRevoked', 'key ' + mf.publisherID(key) + ', publisher document ' + doc.seq);
      }
    }
    if (doc.keys.some((k) => S.equalBytes(k, key))) return;
    if (doc.revoked.some((r) => S.equalBytes(r.key, key))) return; // retired, bundle from before
    fail('ErrKeyNotAuthorized', 'key ' + mf.publisherID(key) + ', publisher document ' + doc.seq);
  }

  // ---- Protobuf, as Go's proto.Unmarshal reads the IPNS record ----

  // pbVarint reads a varint as Go's protowire does: up to 10 bytes, not
  // necessarily minimal, the 10th at most 1. A BigInt.
  function pbVarint(b, off) {
    let v = 0n;
    for (let i = 0; i < 10; i++) {
      if (off + i >= b.length) fail('ErrMalformed', 'protobuf varint runs off the end');
      const c = b[off + i];
      if (i === 9 && c > 1) fail('ErrMalformed', 'protobuf varint overflows 64 bits');
      v |= BigInt(c & 0x7f) << BigInt(7 * i);
      if (c < 0x80) return [v, off + i + 1];
    }
  }

  function pbTag(b, off) {
    const [tag, next] = pbVarint(b, off);
    const num = tag >> 3n;
    if (num < 1n || num > BigInt(PB_MAX_FIELD)) fail('ErrMalformed', 'protobuf field number ' + num);
    return [Number(num), Number(tag & 7n), next];
  }

  // pbSkip skips one field value of wire type wt (groups to their end).
  function pbSkip(b, off, num, wt) {
    const groups = [];
    for (;;) {
      switch (wt) {
        case 0:
          off = pbVarint(b, off)[1];
          break;
        case 1:
          if (b.length - off < 8) fail('ErrMalformed', 'protobuf fixed64 runs off the end');
          off += 8;
          break;
        case 5:
          if (b.length - off < 4) fail('ErrMalformed', 'protobuf fixed32 runs off the end');
          off += 4;
          break;
        case 2: {
          const [n, next] = pbVarint(b, off);
          if (n > BigInt(b.length - next)) fail('ErrMalformed', 'protobuf length beyond the end');
          off = next + Number(n);
          break;
        }
        case 3:
          if (groups.length >= PB_RECURSION_LIMIT) fail('ErrMalformed', 'protobuf groups nested too deep');
          groups.push(num);
          break;
        case 4:
          if (groups.length === 0 || groups[groups.length - 1] !== num) fail('ErrMalformed', 'protobuf end group without its start');
          groups.pop();
          break;
        default:
          fail('ErrMalformed', 'protobuf wire type ' + wt);
      }
      if (groups.length === 0) return off;
      [num, wt, off] = pbTag(b, off);
    }
  }

  // pbParse reads a message's fields that fields names ({number: [name,
  // 'bytes' | 'varint']}): the last occurrence wins, a known field of
  // another wire type is an unknown field, unknown fields are skipped.
  function pbParse(b, fields) {
    const out = Object.create(null);
    let off = 0;
    while (off < b.length) {
      let num, wt;
      [num, wt, off] = pbTag(b, off);
      const f = fields[num];
      if (f && f[1] === 'bytes' && wt === 2) {
        const [n, next] = pbVarint(b, off);
        if (n > BigInt(b.length - next)) fail('ErrMalformed', 'protobuf length beyond the end');
        off = next + Number(n);
        out[f[0]] = b.subarray(next, off);
      } else if (f && f[1] === 'varint' && wt === 0) {
        [out[f[0]], off] = pbVarint(b, off);
      } else {
        off = pbSkip(b, off, num, wt);
      }
    }
    return out;
  }

  const IPNS_FIELDS = {
    1: ['value', 'bytes'], 2: ['signatureV1', 'bytes'], 3: ['validityType', 'varint'], 4: ['validity', 'bytes'],
    5: ['sequence', 'varint'], 6: ['ttl', 'varint'], 7: ['pubKey', 'bytes'], 8: ['signatureV2', 'bytes'], 9: ['data', 'bytes'],
  };
  // libp2p's PublicKey message: Type 1 is Ed25519.
  const KEY_FIELDS = { 1: ['type', 'varint'], 2: ['data', 'bytes'] };

  // ---- RFC 3339, as Go's time.Parse(time.RFC3339Nano, …) reads it ----

  // Go's parser takes a one-digit hour, a comma before the fraction, any
  // number of fraction digits (keeping nine) and zone offsets up to 24:60.
  const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))$/;

  function daysIn(month, year) {
    if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
    return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  }

  // daysFromCivil counts days from 1970-01-01 to a proleptic Gregorian date.
  function daysFromCivil(y, m, d) {
    y -= m <= 2 ? 1 : 0;
    const era = Math.floor(y / 400);
    const yoe = y - era * 400;
    const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
    const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
  }

  // parseRFC3339 returns Unix nanoseconds (a BigInt) of a Go string.
  function parseRFC3339(s) {
    const m = RFC3339.exec(s);
    if (!m) fail('ErrMalformed', 'validity is not RFC 3339');
    const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number);
    if (month < 1 || month > 12 || hour > 23 || min > 59 || sec > 59 || day < 1 || day > daysIn(month, year)) {
      fail('ErrMalformed', 'validity out of range');
    }
    let offset = 0;
    if (!m[8]) {
      const oh = Number(m[10]);
      const om = Number(m[11]);
      if (oh > 24 || om > 60) fail('ErrMalformed', 'validity zone offset out of range');
      offset = (oh * 60 + om) * 60 * (m[9] === '-' ? -1 : 1);
    }
    const frac = BigInt(((m[7] || '') + '000000000').slice(0, 9));
    const secs = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + min * 60 + sec - offset);
    return secs * NS + frac;
  }

  // ---- The IPNS record (protocol.md §4.1, §4.3 step 3) ----

  // pathSegments is boxo's StringToSegments of a rooted path: path.Clean,
  // then split.
  function pathSegments(str) {
    const out = [];
    for (const part of str.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') out.pop();
      else out.push(part);
    }
    return out;
  }

  // catalogOf is the CID a record's Value names, as boxo's Record.Value
  // and node.ParseHead take it: an immutable path of exactly one CID
  // (/ipfs/ or /ipld/), or a binary CID; empty stands for NOOP_VALUE.
  function catalogOf(value) {
    if (value.length > 0 && value[0] !== 0x2f) { // not "/…": a binary CID
      mf.castCID(value);
      return value.slice();
    }
    const segs = pathSegments(value.length === 0 ? NOOP_VALUE : cbor.latin1(value));
    if (segs.length !== 2 || (segs[0] !== 'ipfs' && segs[0] !== 'ipld')) fail('ErrMalformed', 'value is not a catalog CID');
    return mf.cidFromString(segs[1]);
  }

  // recordInt and recordBytes read the record data's fields as boxo's
  // getIntValue and getBytesValue.
  function recordInt(data, key) {
    const v = has(data, key) ? goInt(data[key]) : undefined;
    if (v === undefined) fail('ErrMalformed', 'record ' + key + ' is missing or not an integer');
    return v;
  }
  function recordBytes(data, key) {
    if (!has(data, key) || !(data[key] instanceof Uint8Array)) fail('ErrMalformed', 'record ' + key + ' is missing or not bytes');
    return data[key];
  }

  // matchV1 is boxo's validateCborDataMatchesPbData: the V1 protobuf
  // fields (absent: their zero value) equal those in data.
  function matchV1(pb, data) {
    const same = S.equalBytes(recordBytes(data, 'Value'), pb.value ?? new Uint8Array()) &&
      S.equalBytes(recordBytes(data, 'Validity'), pb.validity ?? new Uint8Array()) &&
      BigInt.asIntN(32, pb.validityType ?? 0n) === recordInt(data, 'ValidityType') &&
      (pb.sequence ?? 0n) === BigInt.asUintN(64, recordInt(data, 'Sequence')) &&
      (pb.ttl ?? 0n) === BigInt.asUintN(64, recordInt(data, 'TTL'));
    if (!same) fail('ErrMalformed', 'record fields differ between protobuf and CBOR');
  }

  // recordValidity is boxo's Record.Validity: an EOL validity's time.
  function recordValidity(data) {
    if (recordInt(data, 'ValidityType') !== 0n) fail('ErrMalformed', 'unrecognized validity type');
    return parseRFC3339(cbor.latin1(recordBytes(data, 'Validity')));
  }

  // checkPubKey is boxo's ExtractPublicKey: an embedded key must be the
  // signer's (a record names no key but its own).
  function checkPubKey(pubKey, key) {
    if (!pubKey || pubKey.length === 0) return;
    const k = pbParse(pubKey, KEY_FIELDS);
    if (k.type === undefined || BigInt.asIntN(32, k.type) !== 1n || !k.data || !S.equalBytes(k.data, key)) {
      fail('ErrMalformed', 'the record embeds another public key');
    }
  }

  // parseRecord checks an IPNS record signed by key, as node's
  // parseRecord with boxo's UnmarshalRecord and Validate, in their order.
  // Failures are ErrMalformed here; parseHead makes them ErrBadHead.
  async function parseRecord(key, rec, nowNs) {
    if (rec.length > L.MaxRecordSize) fail('ErrMalformed', 'record of ' + rec.length + ' bytes');
    const pb = pbParse(rec, IPNS_FIELDS);
    if (!pb.data || pb.data.length === 0) fail('ErrMalformed', 'record without data');
    const data = cbor.decode(pb.data, { relaxed: true });
    if (!isMap(data)) fail('ErrMalformed', 'record data is not a map');
    checkPubKey(pb.pubKey, key);
    if (!pb.signatureV2 || pb.signatureV2.length === 0) fail('ErrMalformed', 'record without signatureV2');
    if (!(await mf.verifyEd25519(key, mf.concat(IPNS_CONTEXT, pb.data), pb.signatureV2))) {
      fail('ErrMalformed', 'record signature');
    }
    if ((pb.signatureV1 && pb.signatureV1.length) || (pb.value && pb.value.length)) matchV1(pb, data);
    const validityNs = recordValidity(data);
    const expired = nowNs > validityNs;
    // boxo returns the expiry before it looks at the TTL.
    if (!expired && has(data, 'TTL')) {
      const ttl = goInt(data.TTL);
      if (ttl !== undefined && ttl < 0n) fail('ErrMalformed', 'negative TTL');
    }
    const seq = BigInt.asUintN(64, recordInt(data, 'Sequence'));
    const catalog = catalogOf(recordBytes(data, 'Value'));
    let doc = null;
    if (has(data, RECORD_DOC_KEY)) {
      if (!(data[RECORD_DOC_KEY] instanceof Uint8Array)) fail('ErrMalformed', RECORD_DOC_KEY + ' is not bytes');
      doc = data[RECORD_DOC_KEY];
    }
    return { seq, validityNs, expired, catalog, doc };
  }

  // ---- Heads (protocol.md §4.3) ----

  const HEAD_SCHEMA = { v: 'int', type: 'string', publisher: 'string', authority: 'bytes', signer: 'bytes', record: 'bytes' };

  // badHead runs step, turning its VerifyError into ErrBadHead. Go's
  // ParseHead wraps every failure of a head's own checks as
  // fmt.Errorf("%w: %v", ErrBadHead, err): the cause is text only, so
  // errors.Is matches ErrBadHead and nothing else (not ErrKeyRevoked nor
  // ErrKeyNotAuthorized from AuthorizeHead, nor ErrBadSignature from the
  // document), and ErrBadHead is the kind. The cause stays in the message.
  async function badHead(what, step) {
    try {
      return await step();
    } catch (e) {
      if (e instanceof S.VerifyError) fail('ErrBadHead', what + ': ' + e.message);
      throw e;
    }
  }

  function msFromNs(ns) {
    let ms = ns / 1000000n;
    if (ns % 1000000n < 0n) ms -= 1n;
    return Number(ms);
  }

  // parseHead checks a head in its wire form for publisher (any form of
  // its ID; a bad one is ErrBadKey), as Go's ParseHead: size; then a bare
  // record signed by the root key, or a wrapper (a CBOR map: first byte
  // 0xa0–0xbf) holding a document of the publisher and a record of
  // signer naming that document, and the signer authorized by it unless
  // it is the root. Every failure is ErrBadHead; an expired head is not a
  // failure but expired: true.
  async function parseHead(bytes, publisher, { now = Date.now() } = {}) {
    if (!(bytes instanceof Uint8Array)) fail('ErrBadHead', 'head is not bytes');
    if (bytes.length > L.MaxHeadSize) fail('ErrBadHead', bytes.length + ' bytes');
    const root = mf.publisherKey(publisher);
    const P = mf.publisherID(root);
    const nowNs = BigInt(Math.floor(now)) * 1000000n;
    const head = (r, wrapped, signer, document, record) => ({
      bytes, wrapped, publisher: P, signer, document, record,
      seq: r.seq, docSeq: document ? document.seq : 0n,
      validity: msFromNs(r.validityNs), validityNs: r.validityNs, expired: r.expired, catalog: r.catalog,
    });
    if (bytes.length === 0 || (bytes[0] & 0xe0) !== 0xa0) {
      const r = await badHead('record', () => parseRecord(root, bytes, nowNs));
      return head(r, false, root, null, bytes);
    }
    const w = await badHead('head wrapper', () => cbor.struct(cbor.decode(bytes, { binaryText: true }), HEAD_SCHEMA, 'head'));
    if (w.v !== FORMAT_VERSION || w.type !== HEAD_TYPE || w.publisher !== P || w.signer.length !== 32) {
      fail('ErrBadHead', 'head wrapper fields');
    }
    const doc = await badHead('publisher document', () => parseDocument(w.authority));
    if (doc.publisher !== w.publisher) fail('ErrBadHead', "the publisher document is another publisher's");
    const r = await badHead('record', () => parseRecord(w.signer, w.record, nowNs));
    if (!r.doc || !S.equalBytes(r.doc, doc.cid)) fail('ErrBadHead', 'the record was not signed under the document it travels with');
    if (!S.equalBytes(w.signer, root)) await badHead('head key', () => authorizeHead(doc, w.signer, r.validityNs));
    return head(r, true, w.signer, doc, w.record);
  }

  // supersedes is the head rule (protocol.md §4.4; Go's node.Supersedes):
  // null when offered replaces held (also when nothing is held), else why
  // not: 'ErrRollback', 'ErrEquivocated' (the held one stays), 'same' (no
  // change), or 'ErrBadHead' for heads of two publishers. Heads rank by
  // their document's seq, then their own; under one document an expired
  // head never replaces a valid one, and one seq and catalog with a later
  // expiry is a renewal.
  function supersedes(held, offered) {
    if (!held) return null;
    if (held.publisher !== offered.publisher) return 'ErrBadHead';
    if (offered.docSeq > held.docSeq) return null;
    if (offered.docSeq < held.docSeq) return 'ErrRollback';
    if (held.document && !S.equalBytes(held.document.cid, offered.document.cid)) return 'ErrEquivocated';
    if (offered.seq > held.seq) return !offered.expired || held.expired ? null : 'same';
    if (offered.seq < held.seq) return 'ErrRollback';
    if (!S.equalBytes(offered.catalog, held.catalog)) return 'ErrEquivocated';
    return offered.validityNs > held.validityNs ? null : 'same';
  }

  // ---- Catalogs (protocol.md §5) ----

  const CATALOG_SCHEMA = { v: 'int', type: 'string', publisher: 'string', bundles: ['list', 'link'], prev: { opt: 'link' } };

  // parseCatalog checks a catalog block a verified head names, in the
  // order of protocol.md §5: size, CID (codec, form, hash), strict
  // canonical decoding, version, type, bundle count, publisher (compared
  // as given: pass the head's publisher, the base58btc form).
  async function parseCatalog(cid, bytes, publisher) {
    if (!(bytes instanceof Uint8Array)) fail('ErrMalformed', 'catalog is not bytes');
    if (bytes.length > L.MaxCatalogSize) fail('ErrTooLarge', 'catalog of ' + bytes.length + ' bytes');
    if (!(cid instanceof Uint8Array)) fail('ErrMalformed', 'undefined cid');
    await mf.checkBlock(cid, bytes, mf.CODEC.DAG_CBOR, L.MaxCatalogSize);
    const c = cbor.struct(cbor.decode(bytes, { binaryText: true }), CATALOG_SCHEMA, 'catalog');
    if (c.v !== FORMAT_VERSION) fail('ErrUnsupportedVersion', 'catalog version ' + c.v);
    if (c.type !== CATALOG_TYPE) fail('ErrWrongType', JSON.stringify(c.type.slice(0, 40)) + ' where a catalog belongs');
    if (c.bundles.length > L.MaxCatalogBundles) fail('ErrTooLarge', 'catalog of ' + c.bundles.length + ' bundles');
    if (c.publisher !== publisher) fail('ErrWrongPublisher', 'catalog of another publisher');
    let prev = null;
    if (c.prev !== undefined) {
      // The page before, in a chain: it must be able to name a catalog.
      const p = mf.parseCID(c.prev.cid);
      if (p.codec !== mf.CODEC.DAG_CBOR) fail('ErrWrongType', "a catalog's prev is not a dag-cbor CID");
      prev = c.prev.cid;
    }
    return { publisher: c.publisher, bundles: c.bundles.map((l) => l.cid), prev };
  }

  S.trust = {
    parseDocument, authorizeHead, authorizeBundle, parseHead, supersedes, parseCatalog,
    // For tests and for bundle.js's own version check.
    parseRFC3339, checkVersion,
  };
})(globalThis.samizdat ||= {});
