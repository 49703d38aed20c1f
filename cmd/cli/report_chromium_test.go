package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/config"
)

// reportCheck is appended to a copy of report.html: once the page has loaded and the charts
// drew, it measures what issue 18 complained about and writes the findings into the DOM,
// which Chromium's --dump-dom prints.
const reportCheck = `<script>
window.addEventListener('load', function () {
  var out = [];
  var vw = document.documentElement.clientWidth;
  document.querySelectorAll('table').forEach(function (t, i) {
    var r = t.getBoundingClientRect();
    if (r.right > vw + 0.5) out.push('TABLE-OVERFLOW ' + i + ' right=' + Math.round(r.right) + ' viewport=' + vw + ' head=' + (t.rows[0] ? t.rows[0].innerText.slice(0, 60) : ''));
  });
  var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  var re = /[-+]?[0-9][0-9.,e+%-]*/g, n;
  while ((n = walk.nextNode())) {
    var p = n.parentElement;
    if (!p || p.closest('script,style,pre') || p.closest('td.l')) continue; // names, hashes, paths, the config
    var m; while ((m = re.exec(n.textContent))) {
      if (m[0].length > 15) out.push('LONG-NUMBER ' + m[0] + ' in <' + p.tagName.toLowerCase() + '>');
    }
  }
  var charts = document.querySelectorAll('canvas').length;
  var pre = document.createElement('pre');
  pre.id = 'report-check';
  pre.textContent = 'CHECK charts=' + charts + ' tables=' + document.querySelectorAll('table').length + '\n' + out.join('\n') + '\nEND';
  document.body.appendChild(pre);
});
</script>`

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (Debian: apt-get install chromium)")
	return ""
}

// TestReportInChromium renders a three-model backtest's report.html in headless Chromium at
// 1280 px and checks issue 18's complaints: every table inside the viewport, no number
// longer than 15 characters, charts drawn. PAPERTRADE_SCREENSHOT_DIR=dir keeps screenshots
// (1280 px wide, top of the page and full length) to look at.
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("-short: runs a backtest and a browser")
	}
	dir := t.TempDir()
	synthTape(t, filepath.Join(dir, "tape"), "--trades", "60000")
	cfg := filepath.Join(dir, "run.yaml")
	example := strings.Replace(config.ExampleYAML, "name: breakout-eth", "name: breakout-eth-with-a-long-instance-name", 1)
	if err := os.WriteFile(cfg, []byte(example), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if code, stdout, errs := runCLI(t, "backtest", "-c", cfg, "--out", out, "-q", "--log-level", "error",
		"--fill-models", "pessimistic,default,optimistic"); code != 0 && code != ExitIncomplete {
		t.Fatalf("backtest: exit %d\n%s\n%s", code, stdout, errs)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	checked := filepath.Join(dir, "checked.html")
	// The last </body>: the inlined ECharts source contains the text too.
	i := strings.LastIndex(string(page), "</body>")
	if i < 0 {
		t.Fatal("report.html has no </body>")
	}
	html := string(page[:i]) + reportCheck + string(page[i:])
	if err := os.WriteFile(checked, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	browser := func(extra ...string) []byte {
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
			"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=5000"}, extra...)
		b, err := exec.CommandContext(ctx, bin, append(args, "file://"+checked)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", extra, err)
		}
		return b
	}
	dom := string(browser("--window-size=1280,1000", "--dump-dom"))
	m := regexp.MustCompile(`(?s)<pre id="report-check">CHECK (.*?)\nEND`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the check script did not report (page failed to load?)")
	}
	t.Logf("%s", m[1])
	for _, line := range strings.Split(m[1], "\n") {
		if strings.HasPrefix(line, "TABLE-OVERFLOW") || strings.HasPrefix(line, "LONG-NUMBER") {
			t.Error(line)
		}
	}
	if c := regexp.MustCompile(`charts=(\d+)`).FindStringSubmatch(m[1]); c == nil || c[1] == "0" {
		t.Errorf("no chart canvas: %s", m[1])
	}
	if shots := os.Getenv("PAPERTRADE_SCREENSHOT_DIR"); shots != "" {
		abs, _ := filepath.Abs(shots)
		browser("--window-size=1280,1000", "--screenshot="+filepath.Join(abs, "report-top.png"))
		browser("--window-size=1280,6000", "--screenshot="+filepath.Join(abs, "report-full.png"))
	}
}
