// Package reader is the browser reader: a web app, built from the files
// under app/ and embedded in the binary, that verifies a publisher's heads,
// catalogs and bundles in the reader's own browser (WebCrypto Ed25519, a
// zstd decoder in JavaScript) before it shows a word of them.
package reader
