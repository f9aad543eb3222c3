// zstd decoding (RFC 8878) with formal dictionaries (§5): browsers cannot
// decode the content blocks packed with a trained dictionary natively.
// Every read is bounds-checked, every loop bounded by the input or a capped
// size, and the allocations are the output (≤ maxOutput), one block of
// literals and small tables. Any corruption is ErrMalformed.
(function (S) {
  'use strict';

  const FRAME_MAGIC = 0xfd2fb528;
  const DICT_MAGIC = 0xec30a437;
  const MAX_BLOCK = 128 << 10; // Block_Maximum_Size's ceiling (§3.1.1.2.4)
  const MIN_WINDOW = 1 << 10; // the smallest window a frame can declare
  const MAX_HUF_BITS = 11; // longest literal prefix code (§4.2.1)
  const MAX_WEIGHT_LOG = 6; // accuracy of the FSE table for Huffman weights
  // Accuracy of sequence tables: the RFC caps offsets at 8, but the Go
  // reader (klauspost) accepts 9 for all three, so we do too.
  const MAX_SEQ_LOG = 9;
  const MAX_LL = 35, MAX_ML = 52, MAX_OF = 31; // largest codes (§3.1.1.3.2.1)
  const FIRST_OUT = 64 << 10; // initial output buffer when the size is unknown
  // A frame without a dictionary starts from no tables and these repeat
  // offsets (§3.1.1.5).
  const NO_DICT = { huf: null, ll: null, of: null, ml: null, reps: [1, 4, 8], content: new Uint8Array(0) };

  function bad(msg) {
    S.fail('ErrMalformed', 'zstd: ' + msg);
  }

  function rd32(b, i) {
    return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
  }

  // Back reads a bitstream backwards (§4.1): from the end, where the highest
  // set bit of the last byte marks its start, to its first byte. v holds the
  // 4 bytes at p, c counts the bits of v read, from the top. Reading past the
  // first byte yields junk bits, never out of bounds; left() < 0 then tells
  // the caller the stream was corrupt.
  class Back {
    constructor(src, start, end) {
      if (end <= start) bad('empty bitstream');
      const last = src[end - 1];
      if (last === 0) bad('bitstream without an end mark');
      this.src = src;
      this.start = start;
      this.c = Math.clz32(last) - 23; // the byte's leading zeros and the mark
      if (end - start >= 4) {
        this.p = end - 4;
        this.v = rd32(src, this.p);
      } else {
        // Fewer than 4 bytes: v holds them over zeros "before" start, where
        // p points, so left() does not count them and reload() never moves.
        let v = 0;
        for (let i = end - 1; i >= start; i--) v = (v << 8) | src[i];
        this.p = end - 4;
        this.v = v << (8 * (4 - (end - start)));
      }
    }

    reload() {
      const k = Math.min(this.c >> 3, this.p - this.start);
      if (k > 0) {
        this.p -= k;
        this.c -= k << 3;
        this.v = rd32(this.src, this.p);
      }
    }

    // bits returns the next n ≤ 25 bits (0 for n = 0).
    bits(n) {
      if (this.c + n > 32) this.reload();
      const x = ((this.v << this.c) >>> 1) >>> (31 - n);
      this.c += n;
      return x;
    }

    left() {
      return ((this.p - this.start) << 3) + 32 - this.c;
    }
  }

  // Per literal length, match length and offset code: base value and extra
  // bits (§3.1.1.3.2.1).
  function codes(n, first, base0, bits) {
    const base = new Uint32Array(n), add = new Uint8Array(n);
    for (let i = 0; i < first; i++) base[i] = i + base0;
    for (let i = first, b = first + base0; i < n; i++) {
      add[i] = bits[i - first];
      base[i] = b;
      b += 2 ** add[i];
    }
    return { base, add };
  }
  const LL_CODES = codes(36, 16, 0, [1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const ML_CODES = codes(53, 32, 3, [1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  // Offset code c: value 2^c plus c extra bits.
  const OF_CODES = {
    base: Uint32Array.from({ length: MAX_OF + 1 }, (_, c) => 2 ** c),
    add: Uint8Array.from({ length: MAX_OF + 1 }, (_, c) => c),
  };

  // readNorm reads an FSE table description (§4.1.1) at src[p..end): the
  // normalized probabilities of symbols 0..maxSym (−1: "less than one").
  function readNorm(src, p, end, maxLog, maxSym) {
    let bit = p * 8;
    const get = (n) => {
      // The next n ≤ 16 bits, zeros past end (rejected below if used).
      const i = bit >> 3;
      const w = (i < end ? src[i] : 0) | (i + 1 < end ? src[i + 1] << 8 : 0) | (i + 2 < end ? src[i + 2] << 16 : 0);
      return (w >>> (bit & 7)) & ((1 << n) - 1);
    };
    const log = get(4) + 5;
    bit += 4;
    if (log > maxLog) bad('table accuracy too large');
    const norm = new Int16Array(maxSym + 1);
    // remaining: 1 + the probability left to hand out. A value read never
    // exceeds it, so it and threshold stay ≥ 1.
    let remaining = (1 << log) + 1, threshold = 1 << log, nbits = log + 1, s = 0, zero = false;
    while (remaining > 1 && s <= maxSym) {
      if (zero) {
        // Zero probability: 2-bit counts of further zeros; 3 means more.
        let r;
        do {
          r = get(2);
          bit += 2;
          s += r;
        } while (r === 3 && s <= maxSym);
        if (s > maxSym) bad('table symbol out of range');
      }
      const max = 2 * threshold - 1 - remaining;
      let v = get(nbits - 1);
      if (v < max) {
        bit += nbits - 1;
      } else {
        v = get(nbits);
        if (v >= threshold) v -= max;
        bit += nbits;
      }
      const prob = v - 1;
      remaining -= prob < 0 ? -prob : prob;
      norm[s++] = prob;
      zero = prob === 0;
      while (remaining < threshold) {
        nbits--;
        threshold >>= 1;
      }
    }
    if (remaining !== 1 || bit > end * 8) bad('bad table description');
    return { norm, n: s, log, end: (bit + 7) >> 3 };
  }

  // fseTable builds the decoding table (§4.1.1): per state its symbol, bits
  // to read and next state's base; with codes, also the symbol's base value
  // and extra bits, so decoding looks up once.
  function fseTable(norm, n, log, code) {
    const size = 1 << log, mask = size - 1;
    const sym = new Uint8Array(size), nb = new Uint8Array(size), next = new Uint16Array(size);
    const count = new Uint16Array(n);
    let high = size - 1;
    for (let s = 0; s < n; s++) {
      if (norm[s] === -1) {
        sym[high--] = s;
        count[s] = 1;
      } else {
        count[s] = norm[s];
      }
    }
    // The positive probabilities fill exactly the slots below high, and the
    // step is odd for every size ≥ 32 (or size is 1), so this ends.
    const step = (size >> 1) + (size >> 3) + 3;
    for (let s = 0, pos = 0; s < n; s++) {
      for (let i = 0; i < norm[s]; i++) {
        sym[pos] = s;
        do pos = (pos + step) & mask; while (pos > high);
      }
    }
    for (let u = 0; u < size; u++) {
      const x = count[sym[u]]++;
      const k = log - (31 - Math.clz32(x));
      nb[u] = k;
      next[u] = (x << k) - size;
    }
    const val = code && new Uint32Array(size), add = code && new Uint8Array(size);
    for (let u = 0; code && u < size; u++) {
      val[u] = code.base[sym[u]];
      add[u] = code.add[sym[u]];
    }
    return { log, sym, nb, next, val, add };
  }

  function readTable(src, p, end, maxSym, code) {
    const d = readNorm(src, p, end, MAX_SEQ_LOG, maxSym);
    return { table: fseTable(d.norm, d.n, d.log, code), end: d.end };
  }

  // Per kind of sequence table: its largest code, the codes, and the
  // predefined distribution (§3.1.1.3.2.2).
  const ones = (n, v = 1) => new Array(n).fill(v);
  const SEQ = {
    ll: { max: MAX_LL, code: LL_CODES, predefined: fseTable(
      [4, 3, ...ones(11, 2), 1, 1, 1, ...ones(9, 2), 3, 2, ...ones(5), ...ones(4, -1)], 36, 6, LL_CODES) },
    of: { max: MAX_OF, code: OF_CODES, predefined: fseTable(
      [...ones(6), 2, 2, 2, ...ones(15), ...ones(5, -1)], 29, 5, OF_CODES) },
    ml: { max: MAX_ML, code: ML_CODES, predefined: fseTable(
      [1, 4, 3, ...ones(6, 2), ...ones(37), ...ones(7, -1)], 53, 6, ML_CODES) },
  };

  // readHuffman reads a Huffman tree description at src[p..end).
  function readHuffman(src, p, end, st) {
    if (p >= end) bad('truncated Huffman table');
    const hb = src[p++];
    const w = new Uint8Array(260); // 255 weights, the implied last, a final pair
    let n;
    if (hb >= 128) {
      n = hb - 127; // weights as 4-bit numbers
      const len = (n + 1) >> 1;
      if (p + len > end) bad('truncated Huffman weights');
      for (let i = 0; i < n; i++) {
        const b = src[p + (i >> 1)];
        w[i] = i & 1 ? b & 15 : b >> 4;
      }
      p += len;
      note(st, 'huffDirect');
    } else {
      if (p + hb > end) bad('truncated Huffman weights');
      n = fseWeights(src, p, p + hb, w);
      p += hb;
      note(st, 'huffFSE');
    }
    return { table: huffTable(w, n), end: p };
  }

  // fseWeights decodes weights compressed with two interleaved FSE states
  // (§4.2.1.2) and returns their count. When the bitstream is used up and
  // the next state would need bits, the symbols of both current states end
  // the list (states that need no bits go on); reading past it is corrupt.
  function fseWeights(src, p, end, w) {
    const d = readNorm(src, p, end, MAX_WEIGHT_LOG, 255);
    const { sym, nb, next } = fseTable(d.norm, d.n, d.log, null);
    const br = new Back(src, d.end, end);
    // a is the state whose turn it is, b the other.
    let a = br.bits(d.log), b = br.bits(d.log), n = 0;
    for (;;) {
      if (n > 255) bad('too many Huffman weights');
      if (br.left() <= 0 && nb[a] > 0) {
        w[n++] = sym[a];
        w[n++] = sym[b];
        break;
      }
      w[n++] = sym[a];
      [a, b] = [b, next[a] + br.bits(nb[a])];
    }
    if (br.left() < 0 || n > 255) bad('bad Huffman weights');
    return n;
  }

  // huffTable completes the weights (the last is implied: it makes the code
  // complete) and builds a table indexed by the next `log` bits, each entry
  // symbol << 4 | code length.
  function huffTable(w, n) {
    const count = new Uint32Array(MAX_HUF_BITS + 2);
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] > MAX_HUF_BITS) bad('Huffman weight too large');
      if (w[i]) total += 1 << (w[i] - 1);
      count[w[i]]++;
    }
    if (total === 0) bad('no Huffman weights');
    const log = 32 - Math.clz32(total);
    if (log > MAX_HUF_BITS) bad('Huffman codes too long');
    const rest = (1 << log) - total;
    if (rest & (rest - 1)) bad('Huffman weights do not complete a code');
    w[n] = 32 - Math.clz32(rest);
    count[w[n++]]++;
    // A complete prefix code has an even number (≥ 2) of longest codes.
    if (count[1] < 2 || count[1] & 1) bad('Huffman weights do not complete a code');
    // Codes go to symbols by weight, then symbol value, from the longest:
    // in the table, weight 1 comes first.
    const pos = new Uint32Array(log + 1);
    for (let k = 1, at = 0; k <= log; k++) {
      pos[k] = at;
      at += count[k] << (k - 1);
    }
    const dt = new Uint16Array(1 << log);
    for (let s = 0; s < n; s++) {
      const k = w[s];
      if (!k) continue;
      const len = 1 << (k - 1);
      dt.fill((s << 4) | (log + 1 - k), pos[k], pos[k] + len);
      pos[k] += len;
    }
    return { log, dt };
  }

  // huffStream decodes out[o..oEnd) from one stream src[start..end), which
  // must then be consumed exactly.
  function huffStream(t, src, start, end, out, o, oEnd) {
    const br = new Back(src, start, end), dt = t.dt, sh = 32 - t.log;
    let v = br.v, c = br.c;
    while (o < oEnd) {
      if (c > sh) {
        br.c = c;
        br.reload();
        v = br.v;
        c = br.c;
      }
      const e = dt[(v << c) >>> sh];
      out[o++] = e >> 4;
      c += e & 15;
    }
    br.c = c;
    if (br.left() !== 0) bad('literal stream not consumed exactly');
  }

  // huffLiterals decodes n literals from 1 stream or 4 (§3.1.1.3.1.6).
  function huffLiterals(t, src, p, end, four, out, n) {
    if (!four) return huffStream(t, src, p, end, out, 0, n);
    const seg = (n + 3) >> 2;
    if (end - p < 10 || 3 * seg > n) bad('bad four-stream literals');
    for (let i = 0, s = p + 6; i < 4; i++) {
      const e = i < 3 ? s + (src[p + 2 * i] | (src[p + 2 * i + 1] << 8)) : end;
      if (e > end) bad('literal stream out of range');
      huffStream(t, src, s, e, out, i * seg, i < 3 ? (i + 1) * seg : n);
      s = e;
    }
  }

  // literals reads the literals section at src[p..end) into st.lit from
  // st.litAt (st.litN bytes) and returns where the sequences section starts.
  function literals(st, src, p, end) {
    if (p >= end) bad('truncated literals header');
    const b0 = src[p], type = b0 & 3, sf = (b0 >> 2) & 3;
    let n, hs;
    if (type < 2) {
      hs = sf === 1 ? 2 : sf === 3 ? 3 : 1;
      if (p + hs > end) bad('truncated literals header');
      n = hs === 1 ? b0 >> 3 : (b0 >> 4) + (src[p + 1] << 4) + (hs === 3 ? src[p + 2] << 12 : 0);
      if (n > st.blockMax) bad('too many literals');
      p += hs;
      st.litN = n;
      if (type === 0) {
        note(st, 'litRaw');
        if (p + n > end) bad('truncated literals');
        st.lit = src;
        st.litAt = p;
        return p + n;
      }
      note(st, 'litRLE');
      if (p >= end) bad('truncated literals');
      st.lit = litBuf(st).fill(src[p], 0, n);
      st.litAt = 0;
      return p + 1;
    }
    hs = sf < 2 ? 3 : sf + 2;
    if (p + hs > end) bad('truncated literals header');
    let h = b0 | (src[p + 1] << 8) | (src[p + 2] << 16), csize;
    if (sf < 2) {
      n = (h >> 4) & 0x3ff;
      csize = h >> 14;
    } else {
      h = (h | (src[p + 3] << 24)) >>> 0;
      n = sf === 2 ? (h >>> 4) & 0x3fff : (h >>> 4) & 0x3ffff;
      csize = sf === 2 ? h >>> 18 : (h >>> 22) + (src[p + 4] << 10);
    }
    p += hs;
    if (n > st.blockMax) bad('too many literals');
    if (p + csize > end) bad('truncated literals');
    let q = p;
    if (type === 2) {
      const r = readHuffman(src, q, p + csize, st);
      st.huf = r.table;
      q = r.end;
      note(st, 'litHuffman');
    } else {
      if (!st.huf) bad('treeless literals without a previous table');
      note(st, st.huf === st.dict.huf ? 'litTreelessDict' : 'litTreeless');
    }
    note(st, sf === 0 ? 'lit1Stream' : 'lit4Streams');
    huffLiterals(st.huf, src, q, p + csize, sf !== 0, litBuf(st), n);
    st.lit = st.litBuf;
    st.litAt = 0;
    st.litN = n;
    return p + csize;
  }

  function litBuf(st) {
    return (st.litBuf ??= new Uint8Array(st.blockMax));
  }

  // seqTable sets st[kind] by the mode (§3.1.1.3.2.2) and returns the
  // position after its description.
  function seqTable(st, kind, mode, src, p, end) {
    const { max, code, predefined } = SEQ[kind];
    if (mode === 0) {
      st[kind] = predefined;
      note(st, 'seqPredefined');
    } else if (mode === 1) {
      if (p >= end) bad('truncated sequences header');
      if (src[p] > max) bad('sequence code out of range');
      const norm = new Int16Array(src[p] + 1);
      norm[src[p++]] = 1;
      st[kind] = fseTable(norm, norm.length, 0, code); // one state, no bits
      note(st, 'seqRLE');
    } else if (mode === 2) {
      const r = readTable(src, p, end, max, code);
      st[kind] = r.table;
      p = r.end;
      note(st, 'seqFSE');
    } else {
      if (!st[kind]) bad('repeated sequence table without a previous one');
      note(st, st[kind] === st.dict[kind] ? 'seqRepeatDict' : 'seqRepeat');
    }
    return p;
  }

  function compressedBlock(st, src, p, end) {
    p = literals(st, src, p, end);
    if (p >= end) bad('truncated sequences header');
    let n = src[p++];
    if (n === 255) {
      if (p + 2 > end) bad('truncated sequences header');
      n = 0x7f00 + src[p] + (src[p + 1] << 8);
      p += 2;
    } else if (n >= 128) {
      if (p >= end) bad('truncated sequences header');
      n = ((n - 128) << 8) + src[p++];
    }
    if (n === 0) {
      if (p !== end) bad('bytes after an empty sequences section');
      return sequences(st, src, p, end, 0);
    }
    if (p >= end) bad('truncated sequences header');
    const modes = src[p++];
    if (modes & 3) bad('reserved bits set');
    p = seqTable(st, 'll', modes >> 6, src, p, end);
    p = seqTable(st, 'of', (modes >> 4) & 3, src, p, end);
    p = seqTable(st, 'ml', (modes >> 2) & 3, src, p, end);
    sequences(st, src, p, end, n);
  }

  // sequences decodes and executes `count` sequences from the bitstream at
  // src[p..end) (§3.1.1.3.2, §3.1.1.4), then the block's last literals.
  function sequences(st, src, p, end, count) {
    const out = st.out, lit = st.lit, dict = st.dict.content, dl = dict.length, win = st.window;
    let op = st.op, lp = st.litAt, r0 = st.r0, r1 = st.r1, r2 = st.r2;
    const lEnd = lp + st.litN, cap = Math.min(op + st.blockMax, st.limit);
    if (count > 0) {
      const ll = st.ll, of = st.of, ml = st.ml;
      const llVal = ll.val, llAdd = ll.add, llNb = ll.nb, llNext = ll.next;
      const mlVal = ml.val, mlAdd = ml.add, mlNb = ml.nb, mlNext = ml.next;
      const ofVal = of.val, ofAdd = of.add, ofNb = of.nb, ofNext = of.next;
      const br = new Back(src, p, end);
      let sl = br.bits(ll.log), so = br.bits(of.log), sm = br.bits(ml.log);
      for (let i = 0; i < count; i++) {
        const oc = ofAdd[so];
        const ov = oc > 25 ? ofVal[so] + br.bits(oc - 16) * 65536 + br.bits(16) : ofVal[so] + br.bits(oc);
        let m = mlVal[sm] + br.bits(mlAdd[sm]);
        const n = llVal[sl] + br.bits(llAdd[sl]);
        let off;
        if (ov > 3) {
          off = ov - 3;
          r2 = r1;
          r1 = r0;
          r0 = off;
        } else {
          // Repeat offsets (§3.1.1.5); a literal length of 0 shifts them.
          const idx = n === 0 ? ov : ov - 1;
          if (idx === 0) {
            off = r0;
          } else {
            off = idx === 1 ? r1 : idx === 2 ? r2 : r0 - 1;
            if (off === 0) bad('zero offset');
            if (idx !== 1) r2 = r1;
            r1 = r0;
            r0 = off;
          }
        }
        if (i + 1 < count) {
          sl = llNext[sl] + br.bits(llNb[sl]);
          sm = mlNext[sm] + br.bits(mlNb[sm]);
          so = ofNext[so] + br.bits(ofNb[so]);
        }
        if (lp + n > lEnd) bad('sequences use more literals than the block has');
        if (op + n + m > cap) overrun(st, op + n + m);
        copy(out, op, lit, lp, n);
        op += n;
        lp += n;
        if (off > op) {
          // Before the frame's first byte lies the dictionary's content.
          const back = off - op;
          if (back > dl) bad('offset beyond the history');
          const k = Math.min(back, m);
          copy(out, op, dict, dl - back, k);
          op += k;
          m -= k;
          note(st, 'dictMatch');
        } else if (off > win) {
          bad('offset beyond the window');
        }
        let s = op - off;
        if (off >= m && m >= 64) {
          out.copyWithin(op, s, s + m);
          op += m;
        } else {
          // Overlapping (or short): byte by byte, repeating the pattern.
          for (const e = op + m; op < e; ) out[op++] = out[s++];
        }
      }
      if (br.left() !== 0) bad('sequence bitstream not consumed exactly');
    }
    if (op + lEnd - lp > cap) overrun(st, op + lEnd - lp);
    out.set(lit.subarray(lp, lEnd), op);
    st.op = op + lEnd - lp;
    st.r0 = r0;
    st.r1 = r1;
    st.r2 = r2;
  }

  // copy copies n bytes of src from s to out at o: short runs by hand, as
  // a subarray costs more than it saves.
  function copy(out, o, src, s, n) {
    if (n < 64) {
      for (let k = 0; k < n; k++) out[o + k] = src[s + k];
    } else {
      out.set(src.subarray(s, s + n), o);
    }
  }

  // overrun fails a write past the caller's limit or the frame's content
  // size (ErrSizeMismatch, as in the Go reader) or the block's maximum size.
  function overrun(st, need) {
    if (need > st.limit) S.fail('ErrSizeMismatch', 'zstd: frame expands past ' + st.limit + ' bytes');
    bad('block larger than its maximum size');
  }

  // reserve makes st.out hold need bytes: when the frame does not declare
  // its size, it grows by doubling up to st.limit.
  function reserve(st, need) {
    if (need > st.limit) overrun(st, need);
    if (need <= st.out.length) return;
    const out = new Uint8Array(Math.min(st.limit, Math.max(need, 2 * st.out.length)));
    out.set(st.out.subarray(0, st.op));
    st.out = out;
  }

  function note(st, key) {
    if (st && st.stats) st.stats[key] = (st.stats[key] || 0) + 1;
  }

  function frameHeader(src, off = 0) {
    if (!(src instanceof Uint8Array) || src.length - off < 5) bad('not a zstd frame');
    const magic = rd32(src, off) >>> 0;
    if (magic !== FRAME_MAGIC) bad(magic >>> 4 === 0x184d2a5 ? 'skippable frame' : 'not a zstd frame');
    const fhd = src[off + 4];
    if (fhd & 8) bad('reserved frame header bit set');
    const single = (fhd & 0x20) !== 0;
    const idSize = [0, 1, 2, 4][fhd & 3];
    const fcsSize = fhd >> 6 ? 1 << (fhd >> 6) : single ? 1 : 0;
    const headerSize = 5 + (single ? 0 : 1) + idSize + fcsSize;
    if (src.length - off < headerSize) bad('truncated frame header');
    let p = off + 5, windowSize = 0, dictID = 0, contentSize;
    if (!single) {
      const wd = src[p++];
      const base = 2 ** (10 + (wd >> 3));
      windowSize = base + (base / 8) * (wd & 7);
    }
    for (let i = 0; i < idSize; i++) dictID += src[p++] * 2 ** (8 * i);
    if (fcsSize) {
      contentSize = fcsSize === 2 ? 256 : 0;
      for (let i = 0; i < fcsSize; i++) contentSize += src[p++] * 2 ** (8 * i);
      if (single) windowSize = contentSize;
    }
    return { headerSize, contentSize, windowSize, dictID, singleSegment: single, checksum: (fhd & 4) !== 0 };
  }

  // frameEnd walks the block headers (§3.1.1.2) of the frame at src[off..].
  function frameEnd(src, off = 0) {
    const h = frameHeader(src, off);
    let p = off + h.headerSize;
    for (;;) {
      if (p + 3 > src.length) bad('truncated block header');
      const bh = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
      const type = (bh >> 1) & 3;
      if (type === 3) bad('reserved block type');
      p += 3 + (type === 1 ? 1 : bh >> 3);
      if (p > src.length) bad('truncated block');
      if (bh & 1) break;
    }
    if (h.checksum) p += 4;
    if (p > src.length) bad('truncated checksum');
    return p;
  }

  function parseDictionary(bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length < 8 || rd32(bytes, 0) >>> 0 !== DICT_MAGIC) {
      bad('not a zstd dictionary');
    }
    const id = rd32(bytes, 4) >>> 0;
    if (id === 0) bad('dictionary ID 0');
    const end = bytes.length;
    const h = readHuffman(bytes, 8, end, null);
    const of = readTable(bytes, h.end, end, MAX_OF, OF_CODES);
    const ml = readTable(bytes, of.end, end, MAX_ML, ML_CODES);
    const ll = readTable(bytes, ml.end, end, MAX_LL, LL_CODES);
    const p = ll.end;
    if (p + 12 > end) bad('truncated dictionary');
    const content = bytes.subarray(p + 12);
    const reps = [0, 4, 8].map((i) => rd32(bytes, p + i) >>> 0);
    if (reps.some((r) => r === 0 || r > content.length)) bad('bad dictionary repeat offsets');
    return Object.freeze({ id, huf: h.table, of: of.table, ml: ml.table, ll: ll.table, reps, content });
  }

  // decompress decodes exactly one frame. opts: dict (from parseDictionary,
  // used when the frame names its ID), maxOutput (default MaxBlockRaw),
  // maxWindow (default MaxZstdWindow; as in the Go reader, a single-segment
  // frame is bounded by its content size instead), stats (counts of the
  // features met, for tests). A frame's checksum, when it has one, is
  // verified as the Go reader verifies it (bundle-format.md §8): writers
  // omit it, so the slow BigInt hash below runs only on frames that have it.
  function decompress(frame, opts = {}) {
    const maxOutput = opts.maxOutput ?? S.limits.MaxBlockRaw;
    const maxWindow = opts.maxWindow ?? S.limits.MaxZstdWindow;
    const h = frameHeader(frame);
    if (h.contentSize > maxOutput) {
      S.fail('ErrSizeMismatch', 'zstd: frame declares ' + h.contentSize + ' bytes, limit ' + maxOutput);
    }
    if (!h.singleSegment && h.windowSize > maxWindow) S.fail('ErrTooLarge', 'zstd: window of ' + h.windowSize + ' bytes');
    const dict = h.dictID === 0 ? null : opts.dict;
    if (dict?.id !== (h.dictID || undefined)) bad('frame wants dictionary ' + h.dictID);
    if (frameEnd(frame) !== frame.length) bad('not exactly one frame');

    // The decoder's state: output, limits, the tables and offsets a block
    // may repeat (at first the dictionary's), the current block's literals.
    const d = dict ?? NO_DICT, window = Math.max(h.windowSize, MIN_WINDOW);
    const limit = Math.min(maxOutput, h.contentSize ?? Infinity);
    const st = {
      out: new Uint8Array(h.contentSize ?? Math.min(limit, FIRST_OUT)), op: 0, limit,
      window, blockMax: Math.min(window, MAX_BLOCK), dict: d,
      r0: d.reps[0], r1: d.reps[1], r2: d.reps[2], huf: d.huf, ll: d.ll, of: d.of, ml: d.ml,
      lit: null, litAt: 0, litN: 0, litBuf: null, stats: opts.stats ?? null,
    };
    for (let p = h.headerSize, last = false; !last; ) {
      const bh = frame[p] | (frame[p + 1] << 8) | (frame[p + 2] << 16);
      const type = (bh >> 1) & 3, size = bh >> 3;
      last = (bh & 1) === 1;
      p += 3;
      if (size > st.blockMax) bad('block larger than its maximum size');
      if (type === 2) {
        note(st, 'blockCompressed');
        reserve(st, Math.min(st.op + st.blockMax, st.limit));
        compressedBlock(st, frame, p, p + size);
        p += size;
      } else {
        note(st, type === 0 ? 'blockRaw' : 'blockRLE');
        reserve(st, st.op + size);
        if (type === 0) {
          st.out.set(frame.subarray(p, p + size), st.op);
          p += size;
        } else {
          st.out.fill(frame[p++], st.op, st.op + size);
        }
        st.op += size;
      }
    }
    if (h.contentSize !== undefined && st.op !== h.contentSize) bad('frame shorter than its content size');
    const out = st.op === st.out.length ? st.out : st.out.slice(0, st.op);
    if (h.checksum && (rd32(frame, frame.length - 4) >>> 0) !== Number(xxh64(out) & 0xffffffffn)) bad('checksum mismatch');
    return out;
  }

  // xxh64 is XXH64 with seed 0, whose low 32 bits are a zstd frame's
  // checksum (RFC 8878 §3.1.1), in BigInt arithmetic modulo 2^64.
  const P1 = 11400714785074694791n, P2 = 14029467366897019727n, P3 = 1609587929392839161n;
  const P4 = 9650029242287828579n, P5 = 2870177450012600261n;
  const u64 = (x) => BigInt.asUintN(64, x);
  const rotl = (x, r) => u64((x << BigInt(r)) | (x >> BigInt(64 - r)));
  const round = (acc, lane) => u64(rotl(u64(acc + lane * P2), 31) * P1);
  const merge = (acc, v) => u64((acc ^ round(0n, v)) * P1 + P4);
  function xxh64(b) {
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    const lane = (i) => dv.getBigUint64(i, true);
    let i = 0, h;
    if (b.length >= 32) {
      let v1 = u64(P1 + P2), v2 = P2, v3 = 0n, v4 = u64(-P1);
      for (; i + 32 <= b.length; i += 32) {
        v1 = round(v1, lane(i));
        v2 = round(v2, lane(i + 8));
        v3 = round(v3, lane(i + 16));
        v4 = round(v4, lane(i + 24));
      }
      h = u64(rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18));
      h = merge(merge(merge(merge(h, v1), v2), v3), v4);
    } else {
      h = P5;
    }
    h = u64(h + BigInt(b.length));
    for (; i + 8 <= b.length; i += 8) h = u64(rotl(h ^ round(0n, lane(i)), 27) * P1 + P4);
    if (i + 4 <= b.length) {
      h = u64(rotl(h ^ u64(BigInt(dv.getUint32(i, true)) * P1), 23) * P2 + P3);
      i += 4;
    }
    for (; i < b.length; i++) h = u64(rotl(h ^ u64(BigInt(b[i]) * P5), 11) * P1);
    h = u64((h ^ (h >> 33n)) * P2);
    h = u64((h ^ (h >> 29n)) * P3);
    return h ^ (h >> 32n);
  }

  S.zstd = { frameHeader, frameEnd, parseDictionary, decompress, xxh64 };
})(globalThis.samizdat ||= {});
