package node

import "github.com/samizdat/samizdat/bundle"

// catalogPrefix is for head_test.go's TestParseCatalog, until it uses
// bundle.PrefixDAGCBOR itself.
var catalogPrefix = bundle.PrefixDAGCBOR
