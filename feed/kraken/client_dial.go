package kraken

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"

	"github.com/gorilla/websocket"
)

// DialProblem says in a few words why a connection attempt to rawURL failed, for the people
// reading logs and status lines: "cannot reach Kraken (DNS lookup failed for ws.kraken.com)"
// rather than a resolver's error chain. resp is the handshake's response when the server
// answered (it may be nil).
func DialProblem(rawURL string, resp *http.Response, err error) string {
	host := rawURL
	if u, perr := url.Parse(rawURL); perr == nil && u.Host != "" {
		host = u.Host
	}
	who := host
	if h := strings.ToLower(strings.Split(host, ":")[0]); h == "kraken.com" || strings.HasSuffix(h, ".kraken.com") {
		who = "Kraken"
	}
	return "cannot reach " + who + " (" + dialReason(host, resp, err) + ")"
}

func dialReason(host string, resp *http.Response, err error) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "DNS lookup failed for " + dnsErr.Name + ": no such host"
		}
		return "DNS lookup failed for " + dnsErr.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by " + host
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to " + host + ": is the network up?"
	case errors.Is(err, websocket.ErrBadHandshake) && resp != nil:
		return "the server answered the WebSocket handshake with HTTP " + resp.Status
	case errors.Is(err, websocket.ErrBadHandshake):
		return "the server refused the WebSocket handshake"
	case errors.As(err, &certErr), errors.As(err, &unknown):
		return "TLS certificate of " + host + " not trusted"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "connection to " + host + " timed out"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "connection to " + host + " timed out"
	}
	return err.Error()
}
