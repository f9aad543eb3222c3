// Package zdict trains the content of zstd dictionaries with the COVER
// algorithm (Liu, Cao and Shah, "Effective construction of relative
// Lempel-Ziv dictionaries", WWW 2016; zstd's ZDICT_trainFromBuffer_cover),
// and wraps that content in a formal zstd dictionary with
// klauspost/compress/zstd.BuildDict.
//
// COVER cuts the samples into epochs and, going round the epochs, takes
// from each the k-byte segment whose distinct d-byte substrings (dmers)
// occur in the most samples, then sets those dmers' scores to zero so that
// the next segments bring something new. Segments are laid out from the end
// of the dictionary towards its start, so the most valuable content sits
// last, where zstd's offsets are shortest.
//
// klauspost/compress/dict.BuildZstdDict, which the packer used before,
// chooses frequent matches by hashing and iterates Go maps: on real prose
// it keeps less of what recurs across articles, and it is not
// deterministic. Train is: the same samples and options give the same
// bytes. Memory is bounded by the hash tables (about 10 MiB at the default
// table size) plus one copy of the samples; time is linear in the sample
// bytes (each epoch is scanned about four times, and never more than
// maxScanPasses times: samples made of rare tokens amid filler stop
// training early, with less content).
package zdict
