// Package node is the only code in samizdat that builds a libp2p host,
// bitswap and the block store. Its API may change before v1.
//
// A Node holds a Repo (a directory guarded by a lock file: the node's own
// identity key, separate from any publisher key, and an on-disk block
// store that checks every block against its CID when read) and a libp2p
// host with bitswap. Blocks fetched from peers are staged in memory until
// the bundle they belong to has been verified (signature, publisher
// document, manifest, and each block's CID); only then are they admitted to
// the on-disk store, so bad input from a peer never reaches the store.
package node
