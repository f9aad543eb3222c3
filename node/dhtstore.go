package node

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
)

// dhtStore is the store of a DHT server's records: the values (IPNS and
// public key records) and provider records other peers put on it, and the
// node's own. It is in memory, as kad-dht's default, which is unbounded:
// a peer that put signed records of fresh keys (10 KiB each, a key and a
// signature apiece, microseconds to make) grew the node's memory at the
// pace of its link, for the two days a record is kept, until the node was
// killed. This one holds at most limit bytes (keys, values and entryCost
// each): a record that would take it past that replaces records chosen at
// random. Refusing it instead would let a peer that filled the store once
// keep every record out for two days, the node's own included (kad-dht
// stores a record locally before it puts it on other nodes, and fails if
// that fails); at random, a flood only churns the store while it lasts,
// and a record it evicts is put again when its owner republishes it.
type dhtStore struct {
	ds.Batching // the records, in memory, with its own lock

	mu    sync.Mutex // serializes writes with the count
	cost  map[ds.Key]int64
	keys  []ds.Key       // every key held, for eviction at random
	at    map[ds.Key]int // a key's index in keys
	limit int64
	bytes int64
}

// errDHTRecordTooLarge refuses a record larger than the whole store: none
// is (the DHT's messages are far smaller).
var errDHTRecordTooLarge = errors.New("DHT record larger than the store")

// entryCost is what a record costs beside its key and value: its map
// entries and slice slot, roughly.
const entryCost = 128

func newDHTStore(limit int64) *dhtStore {
	return &dhtStore{Batching: dssync.MutexWrap(ds.NewMapDatastore()),
		cost: make(map[ds.Key]int64), at: make(map[ds.Key]int), limit: limit}
}

func recordCost(k ds.Key, size int) int64 { return int64(len(k.String()) + size + entryCost) }

func (s *dhtStore) Put(ctx context.Context, k ds.Key, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cost := recordCost(k, len(v))
	if cost > s.limit {
		return errDHTRecordTooLarge
	}
	if err := s.remove(ctx, k); err != nil {
		return err
	}
	for s.bytes+cost > s.limit {
		if err := s.remove(ctx, s.keys[rand.IntN(len(s.keys))]); err != nil {
			return err
		}
	}
	if err := s.Batching.Put(ctx, k, v); err != nil {
		return err
	}
	s.cost[k] = cost
	s.at[k] = len(s.keys)
	s.keys = append(s.keys, k)
	s.bytes += cost
	return nil
}

// remove deletes k's record, if any. The caller holds mu.
func (s *dhtStore) remove(ctx context.Context, k ds.Key) error {
	cost, ok := s.cost[k]
	if !ok {
		return nil
	}
	if err := s.Batching.Delete(ctx, k); err != nil {
		return err
	}
	i, last := s.at[k], len(s.keys)-1
	s.keys[i] = s.keys[last]
	s.at[s.keys[i]] = i
	s.keys = s.keys[:last]
	delete(s.at, k)
	delete(s.cost, k)
	s.bytes -= cost
	return nil
}

func (s *dhtStore) Delete(ctx context.Context, k ds.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remove(ctx, k)
}

// Batch writes through Put and Delete, so that batched writes (provider
// records) are counted and bounded too.
func (s *dhtStore) Batch(context.Context) (ds.Batch, error) { return ds.NewBasicBatch(s), nil }

// size returns the bytes held.
func (s *dhtStore) size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}
