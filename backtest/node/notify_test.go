package node_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/papertrade/papertrade/backtest/node"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// A run config's live.notify reaches its destination from a live session: the buy-and-hold
// instance's fill arrives at a webhook (a fake on loopback), sent off the engine's path and
// flushed when the session ends. A secret named but not set is refused before anything
// starts.
func TestNodeNotifies(t *testing.T) {
	_, reg, srv := setup(t)
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	yaml := runYAML + "  notify:\n    webhook: {url_env: PT_TEST_HOOK}\n    events: [fills]\n"
	c, err := config.Parse([]byte(yaml), "run.yaml", reg, kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := node.Config{Mode: "live", Run: c, Registry: reg, URL: srv.URLv2(), DB: filepath.Join(dir, "paper.db"), Version: "test"}
	nd, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nd.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "PT_TEST_HOOK") {
		t.Fatalf("a webhook named by an unset variable: %v, want a refusal naming it", err)
	}
	cfg.Getenv = func(k string) string {
		if k == "PT_TEST_HOOK" {
			return hook.URL
		}
		return ""
	}
	cfg.DB = filepath.Join(dir, "paper2.db")
	res, _ := runFrames(t, cfg, 400)
	fills := uint64(0)
	for _, s := range res.Summary.Strategies {
		fills += s.Fills
	}
	if fills == 0 {
		t.Fatal("no fills: the session proves nothing")
	}
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(bodies, "\n")
	if !strings.Contains(all, "hodl-btc: buy") {
		t.Fatalf("the webhook received %d messages, none with the hodl-btc fill:\n%s", len(bodies), all)
	}
}
