// Package browsertest holds what the tests that drive a real browser
// share: finding Chromium (or skipping), and a test image.
package browsertest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the browser to drive, or skips the test when there is
// none, unless SAMIZDAT_REQUIRE_BROWSER is set (as CI sets it).
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SAMIZDAT_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium found, and SAMIZDAT_REQUIRE_BROWSER is set")
	}
	t.Skip("no chromium found (set SAMIZDAT_REQUIRE_BROWSER to make this a failure)")
	return ""
}

// PNG is a small opaque image: a browser that shows it reports a natural
// width of 4.
func PNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, color.RGBA{200, 30, 30, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
