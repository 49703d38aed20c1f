package kraken_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

func TestDialProblem(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "ws.kraken.com", IsNotFound: true}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.OpError{Err: syscall.ECONNREFUSED}}
	tests := []struct {
		url  string
		resp *http.Response
		err  error
		want string
	}{
		{kraken.URLv2, nil, dns, "cannot reach Kraken (DNS lookup failed for ws.kraken.com: no such host)"},
		{kraken.URLv1, nil, &net.DNSError{Err: "server misbehaving", Name: "ws.kraken.com"}, "cannot reach Kraken (DNS lookup failed for ws.kraken.com)"},
		{"ws://127.0.0.1:8765/v2", nil, refused, "cannot reach 127.0.0.1:8765 (connection refused by 127.0.0.1:8765)"},
		{kraken.URLv2, &http.Response{Status: "503 Service Unavailable"}, websocket.ErrBadHandshake, "cannot reach Kraken (the server answered the WebSocket handshake with HTTP 503 Service Unavailable)"},
		{kraken.URLv2, nil, context.DeadlineExceeded, "cannot reach Kraken (connection to ws.kraken.com timed out)"},
		{kraken.URLv2, nil, errors.New("something else"), "cannot reach Kraken (something else)"},
	}
	for _, tt := range tests {
		if got := kraken.DialProblem(tt.url, tt.resp, tt.err); got != tt.want {
			t.Errorf("DialProblem(%s, %v)\n got %q\nwant %q", tt.url, tt.err, got, tt.want)
		}
	}
}

// Without a network, the client says so in words ("cannot reach Kraken (DNS lookup failed
// ...); retrying now", later "retrying in 5.2s") and its stats carry the reason for status
// lines and dashboards.
func TestClientSaysWhyItCannotConnect(t *testing.T) {
	defer goleak.VerifyNone(t)
	core, logs := observer.New(zapcore.WarnLevel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var attempts atomic.Int32
	cl, err := kraken.NewClient(kraken.ClientConfig{
		API: feed.APIV2, Pairs: []feed.Pair{"BTC/USD"}, Channels: []string{"trade"}, Logger: zap.New(core),
		Dialer: &websocket.Dialer{NetDialContext: func(context.Context, string, string) (net.Conn, error) {
			if attempts.Add(1) == 2 {
				cancel() // seen the first failure through; stop on the second
			}
			return nil, &net.DNSError{Err: "no such host", Name: "ws.kraken.com", IsNotFound: true}
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Run(ctx, make(chan []feed.Event, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	const want = "cannot reach Kraken (DNS lookup failed for ws.kraken.com: no such host)"
	entries := logs.All()
	if len(entries) == 0 || entries[0].Message != want+"; retrying now" { // the first retries are immediate
		t.Fatalf("warnings %v; want one starting %q", entries, want)
	}
	if st := cl.Stats(); st.DialProblem != want || st.DialFailures == 0 {
		t.Errorf("stats: problem %q after %d failures; want %q", st.DialProblem, st.DialFailures, want)
	}
}
