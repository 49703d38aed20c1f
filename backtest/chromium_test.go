package backtest

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestReportRendersInChromium opens report.html in headless Chromium, offline, and checks
// from the screenshot that the charts were drawn (ECharts paints the first series in
// #5470c6; nothing else on the page uses it). It skips when Chromium is not installed
// (Debian: apt-get install chromium). Set PAPERTRADE_SCREENSHOT=path.png to keep the image.
func TestReportRendersInChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skip("no chromium on PATH")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	out := tempOut(t)
	runGolden(t, out)
	shot := os.Getenv("PAPERTRADE_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "report.png")
	}
	abs, err := filepath.Abs(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--user-data-dir="+t.TempDir(), "--screenshot="+shot,
		"--window-size=1400,5000", "file://"+abs) // the KPI cards and round-trip table come before the charts
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, b)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	blue := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r>>8 == 0x54 && g>>8 == 0x70 && bb>>8 == 0xc6 {
				blue++
			}
		}
	}
	t.Logf("%d pixels of the first series colour", blue)
	if blue < 500 {
		t.Errorf("only %d pixels of the first series colour: the charts did not render", blue)
	}
}
