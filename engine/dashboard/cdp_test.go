package dashboard

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// browser is headless Chromium driven over the DevTools protocol (one page, flat sessions):
// just enough to open a page, evaluate scripts and take a screenshot.
type browser struct {
	cmd     *exec.Cmd
	ws      *websocket.Conn
	id      int
	session string
	waitErr chan error
	once    sync.Once
}

// launch starts Chromium with the flags Debian's package needs in a container and connects
// to its DevTools endpoint.
func launch(ctx context.Context, bin, profile string) (*browser, error) {
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--window-size=1400,1100", "--user-data-dir="+profile, "--remote-debugging-port=0", "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("chromium: %w", err)
	}
	b := &browser{cmd: cmd, waitErr: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() { // keep draining until Chromium exits, or it would block on a full pipe
			if u, ok := strings.CutPrefix(sc.Text(), "DevTools listening on "); ok && !sent {
				urlc <- u
				sent = true
			}
		}
		if !sent {
			close(urlc)
		}
		b.waitErr <- cmd.Wait()
	}()
	var u string
	select {
	case v, ok := <-urlc:
		if !ok {
			return nil, errors.New("chromium exited without a DevTools endpoint")
		}
		u = v
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		b.close()
		return nil, fmt.Errorf("devtools: %w", err)
	}
	ws.SetReadLimit(64 << 20)
	b.ws = ws
	if dl, ok := ctx.Deadline(); ok {
		_ = ws.SetReadDeadline(dl)
	}
	return b, nil
}

// call sends one command and returns its result, skipping the events in between.
func (b *browser) call(method string, params any, session bool) (json.RawMessage, error) {
	b.id++
	msg := map[string]any{"id": b.id, "method": method, "params": params}
	if session {
		msg["sessionId"] = b.session
	}
	if err := b.ws.WriteJSON(msg); err != nil {
		return nil, err
	}
	for {
		var r struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := b.ws.ReadJSON(&r); err != nil {
			return nil, fmt.Errorf("devtools %s: %w", method, err)
		}
		if r.ID != b.id {
			continue
		}
		if r.Error != nil {
			return nil, fmt.Errorf("devtools %s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	}
}

// open makes a page and loads url in it. The page has the window's size (launch sets it):
// emulating another size makes Chromium report canvas device pixels that do not match.
func (b *browser) open(url string) error {
	res, err := b.call("Target.createTarget", map[string]any{"url": "about:blank"}, false)
	if err != nil {
		return err
	}
	var tg struct{ TargetID string }
	if err := json.Unmarshal(res, &tg); err != nil {
		return err
	}
	res, err = b.call("Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true}, false)
	if err != nil {
		return err
	}
	var at struct{ SessionID string }
	if err := json.Unmarshal(res, &at); err != nil {
		return err
	}
	b.session = at.SessionID
	_, err = b.call("Page.navigate", map[string]any{"url": url}, true)
	return err
}

// eval evaluates a JavaScript expression in the page (awaiting it when it is a promise) and
// returns its value as a string.
func (b *browser) eval(expr string, await bool) (string, error) {
	// The page may still be loading: wait for the app's script first.
	full := `new Promise(r => { const go = () => r(` + "(async () => (" + expr + "))()" + `); if (document.readyState === "complete") go(); else addEventListener("load", go); })`
	res, err := b.call("Runtime.evaluate", map[string]any{"expression": full, "awaitPromise": true, "returnByValue": true}, true)
	if err != nil {
		return "", err
	}
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return "", err
	}
	if r.ExceptionDetails != nil {
		return "", fmt.Errorf("script failed: %s", r.ExceptionDetails.Text)
	}
	return fmt.Sprint(r.Result.Value), nil
}

// screenshot returns a PNG of the page's viewport.
func (b *browser) screenshot() ([]byte, error) {
	res, err := b.call("Page.captureScreenshot", map[string]any{"format": "png"}, true)
	if err != nil {
		return nil, err
	}
	var r struct{ Data string }
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

// close shuts Chromium down and waits for it.
func (b *browser) close() {
	b.once.Do(func() {
		if b.ws != nil {
			_ = b.ws.WriteJSON(map[string]any{"id": b.id + 1, "method": "Browser.close"})
			_ = b.ws.Close()
		}
		select {
		case <-b.waitErr:
		case <-time.After(10 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.waitErr
		}
	})
}
