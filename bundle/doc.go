// Package bundle reads and writes samizdat bundles: a publisher's articles
// packed into one signed, compressed file that anyone can verify with
// nothing but the publisher's ID.
//
// A bundle is a CARv1 file of content-addressed blocks: a signed envelope
// (the root, whose CID names the bundle); the publisher document
// ([Authority]) that authorizes the signing key, when a delegated key
// signed; a manifest of compressed pages describing the articles; the zstd
// dictionary, if one is used; and zstd content blocks, one per article or
// one per cluster of short articles. A publisher ID ([PublisherID]) is the
// libp2p peer ID of the publisher's root Ed25519 key, so the ID alone
// anchors every check.
//
// # Verified before use
//
// [Open] (a file), [OpenReader] (an [io.ReaderAt]) and [OpenBlocks] (any
// block source, through a [BlockGetter]) return a [*Bundle] only once the
// envelope, signature, signing key's authorization, manifest and pages
// have been verified, each block against its CID: there is no way to hold
// a half-checked bundle. Open and OpenReader also check that every content
// block is present; OpenBlocks fetches only the metadata, and content
// blocks are asked of the getter, and checked, when they are read. Every
// read ([Bundle.Body], [Bundle.Article], [Bundle.Attachment], a
// [Reader], [Bundle.Block], [Bundle.WriteCAR], [Bundle.Extract]) checks
// the blocks it uses against their CIDs again, and each article against
// its signed CID, so no byte a carrier changed reaches the caller as the
// publisher's.
// [OpenOptions.Publisher] pins the one publisher to accept. Every
// verification failure matches [ErrInvalid] and a more precise sentinel
// with [errors.Is]; an [*Error] wrapping it names the file and the article
// or block, where that helps.
//
// # Entry points
//
//   - Packing: [NewPacker], [Packer.Add] for each [Article], [Packer.Pack].
//     Keys: [GenerateKey], [ParsePrivateKey]; a root key delegates signing
//     to other keys with [NewAuthority].
//   - Reading: [Bundle.List], [Bundle.Lookup], [Bundle.Body],
//     [Bundle.Article], [Bundle.Extract]; [Bundle.BodyReader] and
//     [Bundle.AttachmentReader] decode a block at a time, for a body or
//     file served or shown in part; [Bundle.Verify] reads and checks every
//     article and attachment.
//   - Carrying: [Bundle.Blocks] and [Bundle.Block] for single blocks,
//     [Bundle.WriteCAR] for the one canonical file, [Bundle.Receive] to
//     check a file streamed from elsewhere against a bundle already opened
//     (with OpenBlocks, say).
//   - Blocks of any samizdat object: [CheckBlock] checks a block against
//     its CID; [EncodeDAGCBOR] and [DecodeDAGCBOR] are the one canonical
//     DAG-CBOR encoding, and [PrefixDAGCBOR] and [PrefixRaw] the CID
//     prefixes, that the node's catalogs and mirror's export files share
//     with bundles. [ErrNotFound] means not held, whatever the object.
//
// The package never touches the network and never logs: OpenBlocks reads
// only through the caller's getter, and failures are returned, never
// printed. Every bound on outside input is a named constant, with its
// reason, in limits.go ([MaxBlockSize], [MaxManifestRaw] and the rest).
//
// The format is specified normatively, with test vectors, in
// docs/bundle-format.md of the samizdat repository.
package bundle
