package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ErrNotLoopback is returned by Listen for a non-loopback address: the debug listener serves
// pprof, which must not be reachable from other machines.
var ErrNotLoopback = errors.New("metrics: the debug listener (metrics and pprof) binds loopback addresses only")

// Server is the debug listener: /metrics (Prometheus text format, this registry only) and
// /debug/pprof/ (profiles), on a loopback address.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen binds addr, which must be a loopback address ("127.0.0.1:9090"; port 0 picks one).
func Listen(addr string, m *Metrics) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &Server{srv: &http.Server{Handler: guard(mux), ReadHeaderTimeout: 10 * time.Second}, ln: ln}, nil
}

// guard refuses what the debug listener must not answer (issue 15 item 17): a Host that is
// not an IP address or localhost (a DNS-rebinding page names its own domain; the listener is
// loopback-only, so no other name is legitimate), and methods other than GET and HEAD (POST
// only for /debug/pprof/symbol, whose protocol takes addresses in a POST body).
func guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			http.Error(w, fmt.Sprintf("Host %q is not this listener's address: use 127.0.0.1 or localhost (other names are refused against DNS rebinding)", r.Host), http.StatusMisdirectedRequest)
			return
		}
		switch {
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
		case r.Method == http.MethodPost && r.URL.Path == "/debug/pprof/symbol":
		default:
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "metrics and pprof are read-only", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header is an IP address or localhost. (The dashboard
// has the same rule plus configured names; the two packages share no code by design: the
// import rules keep engine/* sinks independent.)
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || (host != "" && net.ParseIP(host) != nil)
}

// Addr returns the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx ends, then shuts down (a running profile is cut short).
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if err != nil {
		_ = s.srv.Close()
	}
	<-errc
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("metrics: shutdown: %w", err)
	}
	return nil
}

// Close releases the listener of a server whose Run was never called.
func (s *Server) Close() error { return s.ln.Close() }
