package node

import (
	"bytes"
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestUploadCap: writes within the burst pass at once; a write that needs
// far more tokens than the rate gives in the time allowed is held back.
func TestUploadCap(t *testing.T) {
	l := rate.NewLimiter(1000, 1000) // 1 KB/s
	var sink bytes.Buffer
	w := &rateWriter{ctx: context.Background(), w: &sink, l: l}
	if n, err := w.Write(make([]byte, 500)); n != 500 || err != nil {
		t.Fatalf("Write(500) = %d, %v", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	w.ctx = ctx
	n, err := w.Write(make([]byte, 10_000)) // would need about 9.5 s
	if err == nil || n >= 10_000 {
		t.Fatalf("Write(10000) at 1 KB/s within 200 ms = %d, %v; want it held back", n, err)
	}
	if sink.Len() > 500+1000+1000 {
		t.Errorf("%d bytes passed the cap", sink.Len())
	}
}
