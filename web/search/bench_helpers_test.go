package search

import (
	"os"
	"testing"
)

// benchDir holds BenchmarkSearch's index, built once per process and
// removed by TestMain.
var benchDir string

func osMkdirTemp() (string, error) {
	var err error
	benchDir, err = os.MkdirTemp("", "samizdat-search-bench-*")
	return benchDir, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.x != nil {
		bench.x.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
