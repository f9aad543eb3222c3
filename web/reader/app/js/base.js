// samizdat browser reader: the shared namespace and the one error type.
// Every file of the app is a plain script (no modules, so the single saved
// file works from disk): it adds its part to globalThis.samizdat. Files
// load in the order js/ORDER lists.
(function (S) {
  'use strict';

  // VerifyError is what every check throws. kind is the name of the Go
  // sentinel it stands for (bundle.ErrMalformed → "ErrMalformed", …), so
  // the tests can compare the browser's verdict with the Go reader's.
  class VerifyError extends Error {
    constructor(kind, message) {
      super(kind + (message ? ': ' + message : ''));
      this.name = 'VerifyError';
      this.kind = kind;
    }
  }
  S.VerifyError = VerifyError;

  // fail throws a VerifyError of the given kind.
  S.fail = function (kind, message) {
    throw new VerifyError(kind, message);
  };

  // Kinds: the Go sentinels, by name.
  S.KINDS = Object.freeze([
    'ErrTruncated', 'ErrMalformed', 'ErrHashMismatch', 'ErrMissingBlock', 'ErrWrongType',
    'ErrUnsupportedVersion', 'ErrBadSignature', 'ErrWrongPublisher', 'ErrKeyNotAuthorized',
    'ErrKeyRevoked', 'ErrSizeMismatch', 'ErrTooLarge', 'ErrDuplicateID', 'ErrUnsafePath',
    'ErrBadKey', 'ErrBadHead', 'ErrRollback', 'ErrEquivocated', 'ErrNotFound',
  ]);

  // Limits of bundle-format.md §11 and protocol.md §13, as the Go code has them.
  S.limits = Object.freeze({
    MaxBlockSize: 1 << 20,
    MaxDictSize: 1 << 20,
    MaxBlockRaw: 1 << 20,
    MaxZstdWindow: 1 << 20,
    MaxEnvelopeSize: 4 << 10,
    MaxCARHeader: 1 << 10,
    MaxAuthoritySize: 64 << 10,
    MaxAuthorityKeys: 256,
    MaxMirrors: 64,
    MaxMirrorLen: 256,
    MaxPages: 4096,
    MaxArticles: 1 << 20,
    MaxPageRaw: 4 << 20,
    MaxManifestRaw: 256 << 20,
    MaxPageBlocks: 16384,
    MaxSpans: 1024,
    MaxAttachments: 256,
    MaxIDLen: 1024,
    MaxTitleLen: 1024,
    MaxLangLen: 64,
    MaxURLLen: 2048,
    MaxSummaryLen: 4096,
    MaxContentTypeLen: 128,
    MaxAuthors: 32,
    MaxAuthorLen: 256,
    MaxNameLen: 1024,
    MaxHeadSize: 76800,
    MaxRecordSize: 10 << 10,
    MaxCatalogSize: 1 << 20,
    MaxCatalogBundles: 16384,
    // A catalog chain (protocol.md §5): pages a reader follows, and the
    // bundles they list together (node's maxCatalogChain, maxCatalogTotal).
    MaxCatalogChain: 4096,
    MaxCatalogTotal: 1 << 20,
  });

  // utf8 decodes strict UTF-8 (invalid bytes: ErrMalformed).
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  S.utf8 = function (bytes) {
    try {
      return strict.decode(bytes);
    } catch (e) {
      S.fail('ErrMalformed', 'text is not UTF-8');
    }
  };
  S.utf8Encode = (s) => new TextEncoder().encode(s);

  // equalBytes compares two Uint8Arrays.
  S.equalBytes = function (a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
})(globalThis.samizdat ||= {});
