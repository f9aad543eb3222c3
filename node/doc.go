// Package node is the only code in samizdat that builds a libp2p host,
// bitswap, the DHT, gossipsub and the block store. Its API may change
// before v1.
//
// A [Repo] is a directory guarded by a lock file: the node's own identity
// key (never a publisher's), the bundles it holds as whole canonical
// files, a block store for catalogs, the head store ([Heads]) and the
// remembered peers. Every block read from it is checked against its CID.
//
// A [Node] is a libp2p host over a Repo. A serving node ([Config.Serve]: a
// mirror or a publisher) serves what it holds over the bundle and block
// protocols, bitswap and, once [Node.ServeHeads] is called, the head
// protocol. A reader, the zero Config, listens on nothing, serves
// nothing and runs no bitswap: it asks only its sources, directly, for
// single blocks ([BlockProtocol]) and whole bundle files
// ([BundleProtocol]). Its sources for a publisher ([Node.SourcesFor]) are
// the peers it chose for every publisher ([Node.Connect]) and those it
// chose for that one ([Node.ConnectFor]: a link's peers, the providers of
// its content); a peer chosen for one publisher is asked nothing about
// another. Sources that failed or were too slow lately are asked last.
//
// Nothing a peer sends is stored before it is verified. [Node.FetchBundle]
// fetches a bundle's metadata block by block and verifies it
// ([bundle.OpenBlocksPrefetch]). A bundle the node mostly lacks then comes
// as one file, streamed to a temporary dot-file in the repo and checked
// section by section against that metadata as it arrives
// ([bundle.Bundle.Receive]), then synced and renamed into place; a failed
// transfer is deleted. Otherwise the missing blocks come one by one (block
// requests, or bitswap on a serving node), each checked against its CID
// and held in a bounded in-memory staging area, never in the store, until
// the bundle file is written from them with every block checked again.
package node
