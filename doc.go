// Package samizdat is the root of the samizdat module: signed, compressed
// article bundles carried by volunteer mirrors to readers behind a block.
// See README.md; the code lives in bundle/, node/, mirror/ and cmd/.
package samizdat
