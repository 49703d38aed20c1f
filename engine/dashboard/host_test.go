package dashboard

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Issue 15 item 17: a DNS-rebinding page reaches the dashboard under its own domain name, which
// the browser sends as Host; such requests are refused (421), IP addresses and localhost are
// served, and configured names too.
func TestHostChecked(t *testing.T) {
	s, stop := startServer(t, testHub())
	defer stop()
	for _, tc := range []struct {
		host string
		want int
	}{
		{"", http.StatusOK}, // the listen address itself
		{"localhost", http.StatusOK},
		{"LOCALHOST.:8080", http.StatusOK},
		{"app.localhost:8080", http.StatusOK},
		{"127.0.0.1:8080", http.StatusOK},
		{"[::1]:8080", http.StatusOK},
		{"192.168.1.5", http.StatusOK},
		{"evil.example:8080", http.StatusMisdirectedRequest},
		{"evil.example", http.StatusMisdirectedRequest},
		{"localhost.evil.example", http.StatusMisdirectedRequest},
		{"127.0.0.1.nip.io", http.StatusMisdirectedRequest},
	} {
		for _, path := range []string{"", "api/state"} {
			req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
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
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("Host %q /%s: %d, want %d", tc.host, path, resp.StatusCode, tc.want)
			}
			if tc.want != http.StatusOK && !strings.Contains(string(b), "DNS rebinding") {
				t.Errorf("Host %q: the refusal does not say why: %q", tc.host, b)
			}
		}
	}
	if !allowedHost("papertrade.lan:8080", []string{"PaperTrade.lan"}) || allowedHost("other.lan", []string{"papertrade.lan"}) {
		t.Error("Options.Hosts not honoured")
	}
}
