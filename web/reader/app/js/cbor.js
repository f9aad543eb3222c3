// Strict DAG-CBOR (bundle-format.md §2): a decoder that accepts only the
// canonical encoding, checked while decoding (the Go reader decodes, then
// re-encodes and compares; the verdict is the same: ErrMalformed), the
// canonical encoder, and schema checks for decoded objects.
//
// Value model: maps are null-prototype objects, text is a string, bytes a
// Uint8Array, integers a Number when |x| ≤ 2^53−1 and a BigInt beyond,
// links are Link instances, and true, false and null.
(function (S) {
  'use strict';

  const fail = S.fail;

  // MAX_DEPTH is go-ipld-prime's nesting limit; no samizdat object nests
  // more than a few levels.
  const MAX_DEPTH = 1024;
  // The allocation budget Go's decoder gets by default: a multiple of the
  // input (bundle's dagCBORBudgetPerByte and dagCBORBudgetBase).
  const BUDGET_PER_BYTE = 16;
  const BUDGET_BASE = 4096;
  // Costs go-ipld-prime charges against that budget, so a hostile value
  // runs out of it where Go's decoder does.
  const MAP_ENTRY_COST = 8;
  const LIST_ENTRY_COST = 4;
  const LINK_TAG = 42;

  const INT64_MAX = (1n << 63n) - 1n;
  const UINT64_MAX = (1n << 64n) - 1n;
  const INT64_MIN = -(1n << 63n);

  // Link is a DAG-CBOR link: tag 42 over 0x00 ‖ cid. cid is the binary
  // CID without the 0x00.
  class Link {
    constructor(cid) {
      this.cid = cid;
    }
  }

  // Float is a float that relaxed decoding met: kept apart from integers,
  // as go-ipld-prime keeps them (a version 2.0 is no version 2).
  class Float {
    constructor(value) {
      this.value = value;
    }
  }

  // latin1 turns bytes into a string of one char per byte: Go's view of a
  // string, which the binaryText option gives (see decode).
  function latin1(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096));
    return s;
  }
  function latin1Bytes(s) {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) fail('ErrMalformed', 'binary string holds a character above 0xff');
      out[i] = c;
    }
    return out;
  }

  // compareKeys orders encoded map keys as RFC 7049 §3.9: shorter first,
  // then bytewise.
  function compareKeys(a, b) {
    if (a.length !== b.length) return a.length - b.length;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  }

  function setKey(obj, key, value) {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  }

  // Decoder holds one decode's position and budget.
  class Decoder {
    constructor(bytes, opts) {
      this.b = bytes;
      this.pos = 0;
      this.budget = opts.maxAlloc ?? bytes.length * BUDGET_PER_BYTE + BUDGET_BASE;
      this.relaxed = !!opts.relaxed;
      this.binaryText = this.relaxed || !!opts.binaryText;
    }

    spend(n) {
      this.budget -= n;
      if (this.budget < 0) fail('ErrMalformed', 'allocation budget exceeded');
    }

    need(n) {
      if (n > this.b.length - this.pos) fail('ErrMalformed', 'unexpected end of data');
    }

    byte() {
      this.need(1);
      return this.b[this.pos++];
    }

    // arg reads a head's argument (ai 0–27), in shortest form: a Number,
    // or a BigInt above 2^53−1.
    arg(ai) {
      if (ai < 24) return ai;
      let v;
      switch (ai) {
        case 24:
          v = this.byte();
          if (v < 24) fail('ErrMalformed', 'integer or length not in shortest form');
          return v;
        case 25:
          this.need(2);
          v = (this.b[this.pos] << 8) | this.b[this.pos + 1];
          this.pos += 2;
          if (v < 0x100) fail('ErrMalformed', 'integer or length not in shortest form');
          return v;
        case 26:
          this.need(4);
          v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getUint32(0);
          this.pos += 4;
          if (v < 0x10000) fail('ErrMalformed', 'integer or length not in shortest form');
          return v;
        case 27: {
          this.need(8);
          const big = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getBigUint64(0);
          this.pos += 8;
          if (big < 0x100000000n) fail('ErrMalformed', 'integer or length not in shortest form');
          return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
        }
        case 31:
          fail('ErrMalformed', 'indefinite length');
      }
      fail('ErrMalformed', 'reserved additional information ' + ai);
    }

    // length reads a length argument; one beyond the input cannot be met.
    length(ai) {
      const n = this.arg(ai);
      if (typeof n === 'bigint' || n > this.b.length - this.pos) fail('ErrMalformed', 'length beyond the end of data');
      return n;
    }

    text(n) {
      const raw = this.b.subarray(this.pos, this.pos + n);
      this.pos += n;
      return this.binaryText ? latin1(raw) : S.utf8(raw);
    }

    value(depth) {
      const ib = this.byte();
      const major = ib >> 5;
      const ai = ib & 0x1f;
      switch (major) {
        case 0: {
          const v = this.arg(ai);
          this.spend(1);
          return v;
        }
        case 1: {
          const a = this.arg(ai);
          if (typeof a === 'bigint' && a > INT64_MAX) fail('ErrMalformed', 'negative integer out of the range of int64');
          this.spend(1);
          return typeof a === 'bigint' || a === Number.MAX_SAFE_INTEGER ? -1n - BigInt(a) : -1 - a;
        }
        case 2: {
          const n = this.length(ai);
          this.spend(n);
          const v = this.b.slice(this.pos, this.pos + n);
          this.pos += n;
          return v;
        }
        case 3: {
          const n = this.length(ai);
          this.spend(n);
          return this.text(n);
        }
        case 4:
          return this.list(ai, depth);
        case 5:
          return this.map(ai, depth);
        case 6:
          return this.tagged(ai, depth);
        default:
          return this.simple(ai);
      }
    }

    list(ai, depth) {
      if (depth >= MAX_DEPTH) fail('ErrMalformed', 'nesting too deep');
      const n = this.length(ai); // each element takes at least a byte
      this.spend(n);
      const out = new Array(n);
      for (let i = 0; i < n; i++) {
        this.spend(LIST_ENTRY_COST);
        out[i] = this.value(depth + 1);
      }
      return out;
    }

    map(ai, depth) {
      if (depth >= MAX_DEPTH) fail('ErrMalformed', 'nesting too deep');
      const n = this.length(ai);
      this.spend(n);
      const out = Object.create(null);
      const seen = this.relaxed ? new Set() : null;
      let prev = null;
      for (let i = 0; i < n; i++) {
        const kb = this.byte();
        if (kb >> 5 !== 3) fail('ErrMalformed', 'map key is not text');
        const kn = this.length(kb & 0x1f);
        const raw = this.b.subarray(this.pos, this.pos + kn);
        this.spend(kn + MAP_ENTRY_COST);
        const key = this.text(kn);
        if (seen) {
          if (seen.has(key)) fail('ErrMalformed', 'duplicate map key');
          seen.add(key);
        } else {
          // Strictly increasing in canonical order: sorted, no duplicates.
          if (prev && compareKeys(prev, raw) >= 0) fail('ErrMalformed', 'map keys not in canonical order or repeated');
          prev = raw;
        }
        setKey(out, key, this.value(depth + 1));
      }
      return out;
    }

    tagged(ai, depth) {
      const tag = this.arg(ai);
      const next = this.b[this.pos];
      if (next === undefined) fail('ErrMalformed', 'unexpected end of data');
      if (next >> 5 === 2) {
        if (tag !== LINK_TAG) fail('ErrMalformed', 'unhandled tag ' + tag);
        const bytes = this.value(depth);
        if (bytes.length < 1 || bytes[0] !== 0) fail('ErrMalformed', 'link without its 0x00 prefix');
        const cid = bytes.slice(1);
        S.mf.castCID(cid);
        return new Link(cid);
      }
      // go-ipld-prime ignores a tag on anything but bytes (the canonical
      // check then refuses it: the re-encoding has no tag). A second tag is
      // refused either way.
      if (!this.relaxed || next >> 5 === 6) fail('ErrMalformed', 'tag ' + tag + ' on a value that is not a link');
      return this.value(depth);
    }

    simple(ai) {
      switch (ai) {
        case 20:
          this.spend(1);
          return false;
        case 21:
          this.spend(1);
          return true;
        case 22:
          return null;
        case 23:
          if (this.relaxed) return null; // go-ipld-prime coerces undefined to null
          break;
        case 25:
        case 26:
        case 27:
          if (this.relaxed) return this.float(ai);
          break;
      }
      fail('ErrMalformed', 'no floats or simple values but true, false and null');
    }

    // float reads a float (relaxed decoding only: DAG-CBOR data from
    // other writers, such as an IPNS record's, may hold one).
    float(ai) {
      const n = ai === 25 ? 2 : ai === 26 ? 4 : 8;
      this.need(n);
      const dv = new DataView(this.b.buffer, this.b.byteOffset + this.pos, n);
      this.pos += n;
      let f;
      if (n === 8) f = dv.getFloat64(0);
      else if (n === 4) f = dv.getFloat32(0);
      else f = half(dv.getUint16(0));
      if (!Number.isFinite(f)) fail('ErrMalformed', 'NaN or infinity');
      this.spend(1);
      return new Float(f);
    }
  }

  function half(h) {
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    const sign = h & 0x8000 ? -1 : 1;
    if (exp === 0) return sign * mant * 2 ** -24;
    if (exp === 31) return mant ? NaN : sign * Infinity;
    return sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }

  // decode decodes one DAG-CBOR value from all of bytes. By default it
  // accepts only the canonical encoding and text in strict UTF-8. Options:
  //   maxAlloc: the allocation budget (default 16 × length + 4096);
  //   binaryText: text as Go sees it, one char per byte, not checked for
  //     UTF-8 (so a type field that is not UTF-8 is a wrong type, as in
  //     Go, rather than malformed); encode with the same option;
  //   relaxed: what go-ipld-prime's decoder takes, for data the canonical
  //     check does not apply to: keys in any order (not repeated), floats
  //     (as Float), undefined as null, tags on anything but bytes ignored;
  //     text binary.
  function decode(bytes, opts = {}) {
    if (!(bytes instanceof Uint8Array)) fail('ErrMalformed', 'not bytes');
    const d = new Decoder(bytes, opts);
    const v = d.value(0);
    if (d.pos !== bytes.length) fail('ErrMalformed', 'trailing bytes after the value');
    return v;
  }

  // ---- Encoding ----

  function head(out, major, n) {
    if (typeof n === 'bigint') {
      if (n < 0n || n > UINT64_MAX) fail('ErrMalformed', 'integer out of range');
      if (n <= BigInt(Number.MAX_SAFE_INTEGER)) n = Number(n);
    }
    const m = major << 5;
    if (typeof n === 'bigint' || n >= 0x100000000) {
      const b = new Uint8Array(9);
      b[0] = m | 27;
      new DataView(b.buffer).setBigUint64(1, BigInt(n));
      out.push(b);
    } else if (n < 24) {
      out.push(Uint8Array.of(m | n));
    } else if (n < 0x100) {
      out.push(Uint8Array.of(m | 24, n));
    } else if (n < 0x10000) {
      out.push(Uint8Array.of(m | 25, n >> 8, n & 0xff));
    } else {
      out.push(Uint8Array.of(m | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff));
    }
  }

  function encodeInto(out, v, opts) {
    const textBytes = (s) => (opts.binaryText ? latin1Bytes(s) : S.utf8Encode(s));
    if (v === null) return out.push(Uint8Array.of(0xf6));
    if (v === true) return out.push(Uint8Array.of(0xf5));
    if (v === false) return out.push(Uint8Array.of(0xf4));
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) fail('ErrMalformed', 'cannot encode ' + v + ': not an integer');
      return v >= 0 ? head(out, 0, v) : head(out, 1, -1 - v);
    }
    if (typeof v === 'bigint') {
      if (v < -(UINT64_MAX + 1n) || v > UINT64_MAX) fail('ErrMalformed', 'integer out of range');
      return v >= 0n ? head(out, 0, v) : head(out, 1, -1n - v);
    }
    if (typeof v === 'string') {
      const b = textBytes(v);
      head(out, 3, b.length);
      return out.push(b);
    }
    if (v instanceof Uint8Array) {
      head(out, 2, v.length);
      return out.push(v);
    }
    if (v instanceof Float) fail('ErrMalformed', 'floats have no canonical encoding here');
    if (v instanceof Link) {
      out.push(Uint8Array.of(0xd8, LINK_TAG));
      head(out, 2, v.cid.length + 1);
      out.push(Uint8Array.of(0));
      return out.push(v.cid);
    }
    if (Array.isArray(v)) {
      head(out, 4, v.length);
      for (const e of v) encodeInto(out, e, opts);
      return;
    }
    if (typeof v === 'object') {
      // An undefined field is absent (an optional field is omitted).
      const entries = Object.keys(v)
        .filter((k) => v[k] !== undefined)
        .map((k) => [textBytes(k), v[k]])
        .sort((a, b) => compareKeys(a[0], b[0]));
      head(out, 5, entries.length);
      for (const [k, e] of entries) {
        head(out, 3, k.length);
        out.push(k);
        encodeInto(out, e, opts);
      }
      return;
    }
    fail('ErrMalformed', 'cannot encode a ' + typeof v);
  }

  // encode writes the canonical DAG-CBOR encoding of v (binaryText: text
  // as one byte per char, for values decoded with that option).
  function encode(v, opts = {}) {
    const out = [];
    encodeInto(out, v, opts);
    return S.mf.concat(...out);
  }

  // ---- Schema checks ----

  const INT_KINDS = new Set(['int', 'string', 'bytes', 'link', 'bool']);

  function isMap(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) &&
      !(v instanceof Link) && !(v instanceof Float);
  }

  function isOptional(kind) {
    return isMap(kind) && Object.keys(kind).length === 1 && 'opt' in kind;
  }

  // check checks v against kind; path names it in the error.
  function check(v, kind, path) {
    const bad = () => fail('ErrMalformed', path + ': not ' + (typeof kind === 'string' ? 'a ' + kind : 'of its schema kind'));
    if (typeof kind === 'string') {
      if (!INT_KINDS.has(kind)) throw new Error('unknown schema kind ' + kind);
      switch (kind) {
        case 'int':
          // Schema Ints are signed 64-bit: a larger unsigned value is
          // decoded by Go but fits no field.
          if (typeof v === 'number' ? !Number.isSafeInteger(v) : typeof v !== 'bigint' || v > INT64_MAX || v < INT64_MIN) bad();
          return;
        case 'string':
          if (typeof v !== 'string') bad();
          return;
        case 'bytes':
          if (!(v instanceof Uint8Array)) bad();
          return;
        case 'link':
          if (!(v instanceof Link)) bad();
          return;
        case 'bool':
          if (typeof v !== 'boolean') bad();
          return;
      }
    }
    if (Array.isArray(kind) && kind[0] === 'list') {
      if (!Array.isArray(v)) bad();
      for (let i = 0; i < v.length; i++) check(v[i], kind[1], path + '[' + i + ']');
      return;
    }
    if (Array.isArray(kind) && kind[0] === 'tuple') {
      tuple(v, kind[1], path);
      return;
    }
    if (isMap(kind) && !isOptional(kind)) {
      struct(v, kind, path);
      return;
    }
    throw new Error('bad schema kind at ' + path);
  }

  // struct checks that obj is a map with exactly the fields' keys (the
  // optional ones may be absent; none may be null) of their kinds, and
  // returns it.
  function struct(obj, fields, path = 'object') {
    if (!isMap(obj)) fail('ErrMalformed', path + ': not a map');
    for (const k of Object.keys(obj)) {
      if (!Object.prototype.hasOwnProperty.call(fields, k)) fail('ErrMalformed', path + ': unknown field ' + JSON.stringify(k.slice(0, 40)));
    }
    for (const k of Object.keys(fields)) {
      let kind = fields[k];
      const has = Object.prototype.hasOwnProperty.call(obj, k);
      if (isOptional(kind)) {
        if (!has) continue;
        kind = kind.opt;
      } else if (!has) {
        fail('ErrMalformed', path + ': missing field ' + k);
      }
      if (obj[k] === null) fail('ErrMalformed', path + '.' + k + ': null');
      check(obj[k], kind, path + '.' + k);
    }
    return obj;
  }

  // tuple checks a tuple-represented struct: an array of exactly
  // kinds.length values of those kinds.
  function tuple(arr, kinds, path = 'tuple') {
    if (!Array.isArray(arr) || arr.length !== kinds.length) fail('ErrMalformed', path + ': not a tuple of ' + kinds.length);
    for (let i = 0; i < kinds.length; i++) {
      if (arr[i] === null) fail('ErrMalformed', path + '[' + i + ']: null');
      check(arr[i], kinds[i], path + '[' + i + ']');
    }
    return arr;
  }

  S.cbor = { decode, encode, Link, Float, struct, tuple, latin1, latin1Bytes, compareKeys };
})(globalThis.samizdat ||= {});
