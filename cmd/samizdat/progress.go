package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressEvery is how often a progress display polls what it shows.
const progressEvery = 200 * time.Millisecond

// progressFunc reports the bytes done, the bytes expected in all (<= 0:
// not known yet) and a short detail (blocks, peers) for a progress line.
type progressFunc func() (done, total int64, detail string)

// startProgress draws a progress bar (bytes, rate, ETA, detail) on the
// terminal until stop is called. It draws nothing unless both stdout and
// stderr are terminals: output piped or captured stays clean.
func startProgress(e *env, desc string, poll progressFunc) (stop func()) {
	if e == nil || !isTerminal(e.stdout) || !isTerminal(e.stderr) {
		return func() {}
	}
	return drawProgress(e.stderr, desc, poll)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// drawProgress draws to w regardless of what w is.
func drawProgress(w io.Writer, desc string, poll progressFunc) (stop func()) {
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(progressEvery),
		progressbar.OptionShowCount(),
		progressbar.OptionSpinnerType(14),
		// No spinner goroutine of the library's own: it reads the bar's
		// state without its lock and outlives stop. The spinner turns on
		// each draw instead.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
	quit, done := make(chan struct{}), make(chan struct{})
	update := func() {
		cur, total, detail := poll()
		if total > 0 && total != bar.GetMax64() {
			bar.ChangeMax64(max(total, cur))
		}
		if detail != "" {
			bar.Describe(fmt.Sprintf("%s (%s)", desc, detail))
		}
		bar.Set64(cur)
	}
	go func() {
		defer close(done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				update()
				bar.Finish()
				return
			case <-t.C:
				update()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
