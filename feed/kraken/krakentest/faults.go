package krakentest

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
)

// FaultConfig are the periodic faults; zero durations disable them. Set them with
// WithFaults or at runtime with SetFaults.
type FaultConfig struct {
	DropEvery        time.Duration // drop every connection this often
	StallAfter       time.Duration // each new connection goes silent this long after it opens
	MaintenanceEvery time.Duration // switch the system status to maintenance this often...
	MaintenanceFor   time.Duration // ...for this long (default 5s), then back online
	MalformedEvery   time.Duration // send every connection a truncated JSON frame this often
}

// faultState is the server's fault switches. Guarded by Server.mu.
type faultState struct {
	cfg              FaultConfig
	refuse           bool
	rejectSubscribes bool
	stallAfter       time.Duration
	cancelLoops      context.CancelFunc
}

func (f *faultState) stopLoops() {
	if f.cancelLoops != nil {
		f.cancelLoops()
		f.cancelLoops = nil
	}
}

// ProxyRestartText is the non-JSON text frame Kraken's Cloudflare proxy sends.
const ProxyRestartText = "CloudFlare WebSocket proxy restarting"

// SetFaults replaces the periodic faults.
func (s *Server) SetFaults(f FaultConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.faults = f
	s.applyFaultConfig()
}

// applyFaultConfig (re)starts the periodic fault loops. s.mu held.
func (s *Server) applyFaultConfig() {
	f := s.cfg.faults
	s.faults.stopLoops()
	s.faults.cfg = f
	s.faults.stallAfter = f.StallAfter
	if s.closed || (f.DropEvery <= 0 && f.MaintenanceEvery <= 0 && f.MalformedEvery <= 0) {
		return
	}
	// Ended by stopLoops: on reconfiguration and by Close (which sets closed first, so no
	// loop starts after it).
	ctx, cancel := context.WithCancel(context.Background())
	s.faults.cancelLoops = cancel
	every := func(d time.Duration, do func(ctx context.Context)) {
		if d <= 0 {
			return
		}
		s.startLoop(ctx, func(ctx context.Context) {
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					do(ctx)
				}
			}
		})
	}
	every(f.DropEvery, func(context.Context) {
		n := s.DropAll()
		s.log.Info("fault: dropped connections", zap.Int("count", n))
	})
	every(f.MalformedEvery, func(context.Context) { s.SendMalformed() })
	every(f.MaintenanceEvery, func(ctx context.Context) {
		dur := f.MaintenanceFor
		if dur <= 0 {
			dur = 5 * time.Second
		}
		s.SetSystemStatus(feed.SystemMaintenance)
		t := time.NewTimer(dur)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		s.SetSystemStatus(feed.SystemOnline)
	})
}

// DropAll closes every open connection abruptly, without a close frame, as a network failure
// would. It returns how many it dropped.
func (s *Server) DropAll() int {
	s.mu.Lock()
	conns := append([]*conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	s.stats.drops.Add(uint64(len(conns)))
	return len(conns)
}

// StallAll makes every open connection go silent (no data, heartbeats or pongs) while its
// socket stays open. New connections are not affected.
func (s *Server) StallAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.setStalled(true)
	}
}

// SetStallAfter makes each new connection go silent d after it opens (0 disables).
func (s *Server) SetStallAfter(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.stallAfter = d
}

// SendMalformed sends every connection one truncated JSON frame.
func (s *Server) SendMalformed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		frame := []byte(`{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":`)
		if c.api == feed.APIV1 {
			frame = []byte(`[336,{"a":[["37109.60000","0.0000`)
		}
		s.enqueue(c, chRaw, frame)
	}
}

// SendProxyRestart sends every connection the proxy's non-JSON text frame.
func (s *Server) SendProxyRestart() { s.Send([]byte(ProxyRestartText)) }

// SetSystemStatus switches the system status and pushes it to every connection (v1
// systemStatus, v2 status). While it is not online the generated market and replays pause,
// since the matching engine is down.
func (s *Server) SetSystemStatus(state feed.SystemState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == state {
		return
	}
	s.status = state
	for _, c := range s.conns {
		if c.api == feed.APIV1 {
			s.enqueue(c, chStatus, v1SystemStatus(state, c.id, s.cfg.v1Version))
		} else {
			s.enqueue(c, chStatus, v2StatusFrame(state, c.id, s.cfg.v2Version))
		}
	}
	s.notifyChange()
}

// SystemStatus returns the current system status.
func (s *Server) SystemStatus() feed.SystemState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// SetRejectSubscribes makes every subscribe fail with "Exceeded msg rate" while on.
func (s *Server) SetRejectSubscribes(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rejectSubscribes = on
}

// RefuseConnections makes new WebSocket handshakes fail with HTTP 503 while on.
func (s *Server) RefuseConnections(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.refuse = on
}

// CorruptNextChecksum makes the next book update sent for pair carry a wrong checksum (on
// every depth and API that receives that update).
func (s *Server) CorruptNextChecksum(pair feed.Pair) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.byV2[pair]
	if ps == nil {
		return fmt.Errorf("krakentest: unknown pair %s", pair)
	}
	ps.corruptCk = true
	return nil
}

// Send queues a raw frame, exactly as given, for every open connection.
func (s *Server) Send(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		s.enqueue(c, chRaw, frame)
	}
}

// SendTo queues a raw frame for the connections subscribed to channelName ("trade", "book",
// ...) of pair on api, once per connection whatever their depth or interval.
func (s *Server) SendTo(api feed.API, channelName string, pair feed.Pair, frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		for _, k := range c.subKeys() {
			if k.api == api && k.ch.String() == channelName && k.pair == pair {
				s.enqueue(c, chRaw, frame)
				break
			}
		}
	}
}
