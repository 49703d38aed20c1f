package metrics_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/metrics"
)

// Issue 15 item 17: the debug listener refuses a Host that names a domain (DNS rebinding, 421)
// and every method but GET and HEAD (405; POST only for pprof's symbol lookup).
func TestGuard(t *testing.T) {
	s, err := metrics.Listen("127.0.0.1:0", metrics.New())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for _, tc := range []struct {
		method, path, host string
		want               int
	}{
		{"GET", "/metrics", "", http.StatusOK},
		{"HEAD", "/metrics", "", http.StatusOK},
		{"GET", "/metrics", "localhost:9090", http.StatusOK},
		{"GET", "/metrics", "[::1]:9090", http.StatusOK},
		{"GET", "/debug/pprof/", "127.0.0.1", http.StatusOK},
		{"POST", "/debug/pprof/symbol", "", http.StatusOK},
		{"GET", "/metrics", "evil.example:9090", http.StatusMisdirectedRequest},
		{"GET", "/debug/pprof/", "rebind.example", http.StatusMisdirectedRequest},
		{"POST", "/metrics", "", http.StatusMethodNotAllowed},
		{"PUT", "/metrics", "", http.StatusMethodNotAllowed},
		{"DELETE", "/metrics", "", http.StatusMethodNotAllowed},
		{"POST", "/debug/pprof/profile", "", http.StatusMethodNotAllowed},
	} {
		req, err := http.NewRequest(tc.method, "http://"+s.Addr()+tc.path, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s Host %q: %d, want %d", tc.method, tc.path, tc.host, resp.StatusCode, tc.want)
		}
	}
}
