package zdict

// best finds, among the dmer start positions in [begin, end), the window
// of at most k-d+1 dmers (k bytes) whose distinct dmers have the highest
// total freq. It trims dmers of zero freq from both ends, zeroes the freq
// of every dmer in the window so later segments bring new content, and
// returns the window [b, f) and its score. The first best window wins a
// tie, which keeps training deterministic.
func (t *trainer) best(begin, end int) (b, f int, score uint64) {
	end = min(end, t.n-t.d+1)
	if end <= begin {
		return begin, begin, 0
	}
	t.scanned += end - begin
	at := func(pos int) *dmer { return &t.dmers[t.hash(pos)] }
	dmers := t.k - t.d + 1
	var cur uint64
	b, f = begin, begin
	lo := begin
	for pos := begin; pos < end; pos++ {
		e := at(pos)
		if e.live == 0 {
			cur += uint64(e.freq)
		}
		e.live++
		if pos-lo+1 > dmers {
			t.drop(at(lo), &cur)
			lo++
		}
		if cur > score {
			b, f, score = lo, pos+1, cur
		}
	}
	for ; lo < end; lo++ {
		t.drop(at(lo), &cur)
	}
	if score == 0 {
		return begin, begin, 0
	}
	for b < f && at(b).freq == 0 {
		b++
	}
	for f > b && at(f-1).freq == 0 {
		f--
	}
	for pos := b; pos < f; pos++ {
		at(pos).freq = 0
	}
	return b, f, score
}

// drop removes a dmer from the window.
func (t *trainer) drop(e *dmer, cur *uint64) {
	e.live--
	if e.live == 0 {
		*cur -= uint64(e.freq)
	}
}
