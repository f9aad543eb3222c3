// Multiformats for the browser verifier: varints, the multibases CIDs and
// publisher IDs are written in, CIDs, SHA-256 and Ed25519 (WebCrypto), the
// one check of a block against its CID, and publisher IDs
// (bundle-format.md §2, §3). Decoders take bytes from anywhere: every
// failure is a VerifyError of the kind the Go reader returns.
(function (S) {
  'use strict';

  const fail = S.fail;

  // MAX_VARINT is the largest varint a Number holds exactly. Go reads up
  // to 63 bits; nothing samizdat writes comes near 2^53 (codecs, hash
  // codes, lengths), so a larger varint is refused as malformed.
  const MAX_VARINT = Number.MAX_SAFE_INTEGER;

  // varint reads an unsigned LEB128 varint at off, minimally encoded (as
  // go-varint requires), and returns [value, next offset].
  function varint(bytes, off) {
    let value = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (off + i >= bytes.length) fail('ErrTruncated', 'varint runs off the end');
      const b = bytes[off + i];
      // The 8th byte holds bits 49..55: only 4 of them fit under 2^53.
      if (i === 7 && b > 0x0f) fail('ErrMalformed', 'varint exceeds 2^53-1');
      value += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (i > 0 && b === 0) fail('ErrMalformed', 'varint not minimally encoded');
        return [value, off + i + 1];
      }
      mul *= 128;
    }
  }

  function varintBytes(n) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('varint of ' + n);
    const out = [];
    while (n >= 0x80) {
      out.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return Uint8Array.from(out);
  }

  function concat(...parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  // ---- Bases ----

  // A base-N codec over big-number arithmetic (base58btc, base36): each
  // leading zero byte is one leading zero digit, as go-base36 and
  // mr-tron/base58 write and read it.
  function radix(alphabet, caseless) {
    const base = alphabet.length;
    const values = new Map();
    for (let i = 0; i < base; i++) {
      values.set(alphabet[i], i);
      if (caseless) values.set(alphabet[i].toUpperCase(), i);
    }
    const encode = function (bytes) {
      let zeros = 0;
      while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
      const digits = []; // little-endian digits in base
      for (let i = zeros; i < bytes.length; i++) {
        let carry = bytes[i];
        for (let j = 0; j < digits.length; j++) {
          carry += digits[j] * 256;
          digits[j] = carry % base;
          carry = Math.floor(carry / base);
        }
        while (carry > 0) {
          digits.push(carry % base);
          carry = Math.floor(carry / base);
        }
      }
      let s = alphabet[0].repeat(zeros);
      for (let i = digits.length - 1; i >= 0; i--) s += alphabet[digits[i]];
      return s;
    };
    const decode = function (str) {
      if (typeof str !== 'string' || str.length === 0) fail('ErrMalformed', 'empty base' + base + ' string');
      let zeros = 0;
      while (zeros < str.length && str[zeros] === alphabet[0]) zeros++;
      const bytes = []; // little-endian bytes
      for (let i = zeros; i < str.length; i++) {
        let carry = values.get(str[i]);
        if (carry === undefined) fail('ErrMalformed', 'invalid base' + base + ' character');
        for (let j = 0; j < bytes.length; j++) {
          carry += bytes[j] * base;
          bytes[j] = carry & 0xff;
          carry >>= 8;
        }
        while (carry > 0) {
          bytes.push(carry & 0xff);
          carry >>= 8;
        }
      }
      const out = new Uint8Array(zeros + bytes.length);
      for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i];
      return out;
    };
    return { encode, decode };
  }

  const base58btc = radix('123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz', false);
  const base36 = radix('0123456789abcdefghijklmnopqrstuvwxyz', true);

  // An RFC 4648 codec (base16, base32, base64 and their variants). Like
  // Go's decoders, it ignores the unused low bits of the last character;
  // with padding, the input must be whole quanta.
  function rfc4648(alphabet, bits, { caseless = false, padded = false } = {}) {
    const values = new Map();
    for (let i = 0; i < alphabet.length; i++) {
      values.set(alphabet[i], i);
      if (caseless) {
        values.set(alphabet[i].toLowerCase(), i);
        values.set(alphabet[i].toUpperCase(), i);
      }
    }
    const quantum = bits === 4 ? 2 : bits === 5 ? 8 : 4; // characters per whole number of bytes
    const encode = function (bytes) {
      let s = '';
      let acc = 0;
      let n = 0;
      for (const b of bytes) {
        acc = (acc << 8) | b;
        n += 8;
        while (n >= bits) {
          n -= bits;
          s += alphabet[(acc >> n) & ((1 << bits) - 1)];
        }
        acc &= (1 << n) - 1;
      }
      if (n > 0) s += alphabet[(acc << (bits - n)) & ((1 << bits) - 1)];
      if (padded) while (s.length % quantum) s += '=';
      return s;
    };
    const decode = function (str) {
      if (typeof str !== 'string') fail('ErrMalformed', 'not a string');
      if (padded) {
        if (str.length % quantum) fail('ErrMalformed', 'bad padding');
        let end = str.length;
        while (end > 0 && str[end - 1] === '=') end--;
        if (str.length - end >= quantum) fail('ErrMalformed', 'bad padding');
        str = str.slice(0, end);
      }
      // Characters that cannot end the input: they hold fewer than 8 bits.
      const rest = (str.length * bits) % 8;
      if (rest >= bits) fail('ErrMalformed', 'truncated base' + (1 << bits) + ' string');
      const out = new Uint8Array(Math.floor((str.length * bits) / 8));
      let acc = 0;
      let n = 0;
      let o = 0;
      for (const c of str) {
        const v = values.get(c);
        if (v === undefined) fail('ErrMalformed', 'invalid base' + (1 << bits) + ' character');
        acc = ((acc << bits) | v) & 0xffff;
        n += bits;
        if (n >= 8) {
          n -= 8;
          out[o++] = (acc >> n) & 0xff;
        }
      }
      return out;
    };
    return { encode, decode };
  }

  const base32 = rfc4648('abcdefghijklmnopqrstuvwxyz234567', 5, { caseless: true });
  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

  // The multibases CIDs are read in, by prefix character: those IPFS tools
  // write CIDs and IPNS names in. (go-multibase also knows base2, base8,
  // base10, base45, base58flickr, base32hex, base256emoji and identity;
  // no CID a samizdat writer produces uses them.)
  const multibases = {
    b: base32,
    B: base32,
    c: rfc4648('abcdefghijklmnopqrstuvwxyz234567', 5, { caseless: true, padded: true }),
    C: rfc4648('abcdefghijklmnopqrstuvwxyz234567', 5, { caseless: true, padded: true }),
    k: base36,
    K: base36,
    z: base58btc,
    f: rfc4648('0123456789abcdef', 4, { caseless: true }),
    F: rfc4648('0123456789abcdef', 4, { caseless: true }),
    m: rfc4648(b64 + '+/', 6),
    M: rfc4648(b64 + '+/', 6, { padded: true }),
    u: rfc4648(b64 + '-_', 6),
    U: rfc4648(b64 + '-_', 6, { padded: true }),
  };

  // multibaseDecode decodes a multibase string (ErrMalformed otherwise).
  function multibaseDecode(str) {
    if (typeof str !== 'string' || str.length < 1) fail('ErrMalformed', 'empty multibase string');
    const codec = multibases[str[0]];
    if (!codec) fail('ErrMalformed', 'unsupported multibase');
    return codec.decode(str.slice(1));
  }

  // ---- CIDs ----

  const CODEC = Object.freeze({ RAW: 0x55, DAG_CBOR: 0x71, LIBP2P_KEY: 0x72, DAG_PB: 0x70 });
  const SHA2_256 = 0x12;
  const IDENTITY = 0x00;

  // castMultihash parses bytes that must be exactly one multihash, as
  // go-multihash's Cast does: {code, digest} (ErrMalformed otherwise).
  function castMultihash(bytes, off = 0) {
    try {
      const [code, o1] = varint(bytes, off);
      const [len, o2] = varint(bytes, o1);
      if (bytes.length - o2 !== len) fail('ErrMalformed', 'multihash length does not match its digest');
      return { code, digest: bytes.subarray(o2) };
    } catch (e) {
      if (e instanceof S.VerifyError) fail('ErrMalformed', 'not a multihash: ' + e.message);
      throw e;
    }
  }

  // castCID parses bytes that must be exactly one CID of any version,
  // codec and hash, as go-cid's Cast does (a CIDv0 is a bare 34-byte
  // sha2-256 multihash): ErrMalformed otherwise.
  function castCID(bytes) {
    if (!(bytes instanceof Uint8Array)) fail('ErrMalformed', 'CID is not bytes');
    if (bytes.length === 34 && bytes[0] === SHA2_256 && bytes[1] === 0x20) {
      return { version: 0, codec: CODEC.DAG_PB, hashCode: SHA2_256, digest: bytes.subarray(2) };
    }
    let version, codec, off;
    try {
      [version, off] = varint(bytes, 0);
      [codec, off] = varint(bytes, off);
    } catch (e) {
      if (e instanceof S.VerifyError) fail('ErrMalformed', 'not a CID: ' + e.message);
      throw e;
    }
    if (version !== 1) fail('ErrMalformed', 'CID version ' + version);
    const mh = castMultihash(bytes, off);
    return { version, codec, hashCode: mh.code, digest: mh.digest };
  }

  // parseCID parses a CID of a samizdat object: CIDv1 with a full 32-byte
  // sha2-256 digest. Anything else, a CID of another form or bytes that
  // are no CID, is ErrWrongType (bundle-format.md §2).
  function parseCID(bytes) {
    let c;
    try {
      c = castCID(bytes);
    } catch (e) {
      if (e instanceof S.VerifyError) fail('ErrWrongType', 'not a CID');
      throw e;
    }
    if (c.version !== 1 || c.hashCode !== SHA2_256 || c.digest.length !== 32) {
      fail('ErrWrongType', 'not a CIDv1 with a sha2-256 digest');
    }
    return c;
  }

  // cidString writes a CID as go-cid's String does: base32 with prefix 'b'
  // for CIDv1, bare base58btc for CIDv0.
  function cidString(bytes) {
    const c = castCID(bytes);
    return c.version === 0 ? base58btc.encode(bytes) : 'b' + base32.encode(bytes);
  }

  // cidFromString reads a CID in text form, as go-cid's Decode does: a
  // 46-character "Qm…" CIDv0, or a multibase string of a CID's bytes.
  function cidFromString(str) {
    if (typeof str !== 'string' || str.length < 2) fail('ErrMalformed', 'CID string too short');
    let bytes;
    if (str.length === 46 && str.startsWith('Qm')) {
      bytes = base58btc.decode(str);
      const mh = castMultihash(bytes);
      if (mh.code !== SHA2_256 || mh.digest.length !== 32) fail('ErrMalformed', 'CIDv0 is not sha2-256');
    } else {
      bytes = multibaseDecode(str);
    }
    castCID(bytes);
    return bytes;
  }

  // ---- Hashes and signatures (WebCrypto) ----

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }

  async function cidOf(codec, bytes) {
    return concat(Uint8Array.of(0x01), varintBytes(codec), Uint8Array.of(SHA2_256, 0x20), await sha256(bytes));
  }

  // verifyEd25519 reports whether sig is key's Ed25519 signature over msg.
  // A key WebCrypto refuses to import, or a signature that is not 64
  // bytes, verifies nothing (Go's ed25519.Verify says false for both).
  async function verifyEd25519(key, msg, sig) {
    if (!(key instanceof Uint8Array) || key.length !== 32) return false;
    if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
    let k;
    try {
      k = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      return false;
    }
    try {
      return await crypto.subtle.verify({ name: 'Ed25519' }, k, sig, msg);
    } catch (e) {
      return false;
    }
  }

  // checkBlock is the one check of a block against its CID, as Go's
  // "read block": size, then the CID's form and codec, then the hash.
  async function checkBlock(cid, data, codec, maxSize) {
    if (data.length > maxSize) fail('ErrTooLarge', 'block of ' + data.length + ' bytes');
    const c = parseCID(cid);
    if (c.codec !== codec) fail('ErrWrongType', 'block has codec 0x' + c.codec.toString(16) + ', want 0x' + codec.toString(16));
    if (!S.equalBytes(await sha256(data), c.digest)) fail('ErrHashMismatch', cidString(cid));
  }

  // ---- Publisher IDs (bundle-format.md §3) ----

  // The identity multihash of a libp2p Ed25519 public key: 00 24, then
  // the protobuf PublicKey header 08 01 12 20, then the key.
  const KEY_MULTIHASH_PREFIX = Uint8Array.of(IDENTITY, 0x24, 0x08, 0x01, 0x12, 0x20);

  function publisherID(key) {
    if (!(key instanceof Uint8Array) || key.length !== 32) fail('ErrBadKey', 'not a 32-byte key');
    return base58btc.encode(concat(KEY_MULTIHASH_PREFIX, key));
  }

  // MAX_PUBLISHER_ID bounds a publisher ID's length before it is decoded:
  // base58 and base36 take time quadratic in the length, and a document
  // names its publisher in bytes no signature covers until that name gives
  // the key (64 KiB of it would freeze a phone's page for a minute). An
  // Ed25519 key's ID takes at most 81 characters in the multibases read
  // here (base16); the head protocol bounds an ID to 128 bytes too.
  const MAX_PUBLISHER_ID = 128;

  // publisherKey returns the Ed25519 key a publisher ID names, as Go's
  // ParsePublisherID: a base58btc peer ID, or a CIDv1 of codec libp2p-key
  // over the same multihash in a multibase (usually base36, "k51…").
  // Anything else is ErrBadKey.
  function publisherKey(id) {
    if (typeof id !== 'string') fail('ErrBadKey', 'publisher ID is not a string');
    if (id.length > MAX_PUBLISHER_ID) fail('ErrBadKey', 'publisher ID of ' + id.length + ' characters');
    let mh = null;
    let c = null;
    try {
      c = castCID(cidFromString(id));
    } catch (e) {
      if (!(e instanceof S.VerifyError)) throw e;
    }
    if (c && c.version === 1) {
      if (c.codec !== CODEC.LIBP2P_KEY) fail('ErrBadKey', 'publisher ID is a CID but not of a key');
      mh = { code: c.hashCode, digest: c.digest };
    } else {
      try {
        mh = castMultihash(base58btc.decode(id));
      } catch (e) {
        if (e instanceof S.VerifyError) fail('ErrBadKey', 'publisher ID does not decode');
        throw e;
      }
    }
    const d = mh.digest;
    if (mh.code !== IDENTITY || d.length !== 36 || !S.equalBytes(d.subarray(0, 4), KEY_MULTIHASH_PREFIX.subarray(2))) {
      fail('ErrBadKey', 'publisher ID is not an Ed25519 key');
    }
    return d.slice(4);
  }

  // isBase58PublisherID reports whether str is a publisher ID in the one
  // form signed objects carry.
  function isBase58PublisherID(str) {
    try {
      return publisherID(publisherKey(str)) === str;
    } catch (e) {
      if (e instanceof S.VerifyError) return false;
      throw e;
    }
  }

  S.mf = {
    varint, varintBytes, concat,
    base58btc, base32, base36, multibaseDecode,
    CODEC, SHA2_256, castMultihash, castCID, parseCID, cidString, cidFromString,
    sha256, cidOf, verifyEd25519, checkBlock,
    publisherID, publisherKey, isBase58PublisherID,
  };
})(globalThis.samizdat ||= {});
