package dashboard

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

//go:embed static
var static embed.FS

// DefaultPush is how often a page gets an update.
const DefaultPush = 500 * time.Millisecond

// ErrNotLoopback is returned by Listen for an address that is not a loopback one, unless
// remote access was explicitly allowed.
var ErrNotLoopback = errors.New("dashboard: refusing to listen on a non-loopback address (the dashboard has no authentication); pass --http-allow-remote to do it anyway")

// Server serves the dashboard: the page and its assets, the server-sent event stream at
// /events and the current state as JSON at /api/state. It is read-only: every other method
// than GET and HEAD is refused.
type Server struct {
	hub  *Hub
	log  *zap.Logger
	push time.Duration
	srv  *http.Server
	ln   net.Listener

	mu      sync.Mutex
	closing chan struct{}

	hosts []string // names allowed in Host besides IP addresses and localhost

	onStream func() // tests: called when an event stream starts
}

// Options configures a Server.
type Options struct {
	Log *zap.Logger
	// Push is the update interval of pages (default DefaultPush).
	Push time.Duration
	// AllowRemote permits a non-loopback listen address.
	AllowRemote bool
	// Hosts are host names, besides IP addresses and localhost, that requests may name in
	// their Host header (a remote dashboard reached by a DNS name). See allowedHost. With
	// AllowRemote the machine's own host name is allowed too.
	Hosts []string
}

// Listen binds addr ("127.0.0.1:8080"; port 0 picks one) for the hub's dashboard. Addresses
// whose host is not a loopback IP or "localhost" — including an empty host, which means every
// interface — are refused unless opts.AllowRemote.
func Listen(addr string, hub *Hub, opts Options) (*Server, error) {
	if err := checkLoopback(addr, opts.AllowRemote); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Push <= 0 {
		opts.Push = DefaultPush
	}
	hosts := slices.Clone(opts.Hosts)
	if opts.AllowRemote {
		// Reached from other machines by this one's name: a rebinding page cannot choose it.
		if h, err := os.Hostname(); err == nil && h != "" {
			hosts = append(hosts, h)
		}
	}
	s := &Server{hub: hub, log: opts.Log.Named("dashboard"), push: opts.Push, ln: ln, closing: make(chan struct{}), hosts: hosts}
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

func checkLoopback(addr string, allow bool) error {
	if allow {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dashboard: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %q", ErrNotLoopback, addr)
}

// allowedHost reports whether a request's Host header may reach the dashboard: an IP address,
// localhost, or one of the extra names. A DNS-rebinding page (issue 15 item 17) reaches the
// listener through its own domain name, which the browser sends as Host; a page whose origin
// is an IP address or localhost is the dashboard's own. The port is not compared: a
// rebinding attacker uses the listener's port anyway.
func allowedHost(hostport string, extra []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil {
		return true
	}
	for _, e := range extra {
		if strings.EqualFold(host, strings.TrimSuffix(e, ".")) {
			return true
		}
	}
	return false
}

// URL returns the dashboard's address, e.g. "http://127.0.0.1:8080/".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Run serves until ctx ends, then closes every event stream and shuts the server down. It
// returns nil after a shutdown caused by ctx.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	s.mu.Lock()
	close(s.closing) // event streams end; Shutdown then finds every connection idle
	s.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	<-errc
	if err != nil {
		return fmt.Errorf("dashboard: shutdown: %w", err)
	}
	return nil
}

func (s *Server) routes() http.Handler {
	sub, _ := fs.Sub(static, "static")
	files := http.FileServerFS(sub)
	mux := http.NewServeMux()
	mux.HandleFunc("/events", s.events)
	mux.HandleFunc("/api/state", s.state)
	mux.Handle("/", files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowedHost(r.Host, s.hosts) {
			http.Error(w, fmt.Sprintf("Host %q is not this dashboard's address: open %s (names other than localhost are refused against DNS rebinding)", r.Host, s.URL()), http.StatusMisdirectedRequest)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the dashboard is read-only", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) state(w http.ResponseWriter, _ *http.Request) {
	b, err := json.Marshal(s.hub.message(newCursor(), true))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// events streams the state: everything first, then what changed, every push interval.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("Connection", "keep-alive")
	c := newCursor()
	var buf bytes.Buffer

	send := func(full bool) bool {
		b, err := json.Marshal(s.hub.message(c, full))
		if err != nil {
			s.log.Error("encoding a dashboard update", zap.Error(err))
			return false
		}
		buf.Reset()
		buf.WriteString("data: ")
		buf.Write(b)
		buf.WriteString("\n\n")
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	if !send(true) {
		return
	}
	if s.onStream != nil {
		s.onStream()
	}
	t := time.NewTicker(s.push)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if !send(false) {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
}

// Close releases the listener of a server whose Run was never called.
func (s *Server) Close() error { return s.ln.Close() }
