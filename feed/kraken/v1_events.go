package kraken

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// v1EventJSON is every v1 event object (heartbeat, pong, systemStatus, subscriptionStatus,
// error) in one struct; they are rare, so encoding/json reads them. Numbers are json.Number:
// connectionID exceeds int64.
type v1EventJSON struct {
	Event        string              `json:"event"`
	ConnectionID json.Number         `json:"connectionID"`
	Status       string              `json:"status"`
	Version      string              `json:"version"`
	ReqID        json.Number         `json:"reqid"`
	ChannelID    json.Number         `json:"channelID"`
	ChannelName  string              `json:"channelName"`
	Pair         string              `json:"pair"`
	Subscription *v1SubscriptionJSON `json:"subscription"`
	ErrorMessage string              `json:"errorMessage"`
	Upcoming     []maintenanceJSON   `json:"upcoming_maintenance"`
	Emergency    []maintenanceJSON   `json:"emergency"`
}

type v1SubscriptionJSON struct {
	Name     string      `json:"name"`
	Depth    json.Number `json:"depth"`
	Interval json.Number `json:"interval"`
}

var v1EventKeys = []string{"event", "connectionID", "status", "version", "reqid", "channelID", "channelName", "pair", "subscription", "errorMessage", "upcoming_maintenance", "emergency"}

// v1Event decodes a v1 event object.
func (d *Decoder) v1Event(frame []byte, name string, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	ev := feed.Event{API: feed.APIV1, Recv: recv}
	switch name {
	case "heartbeat":
		// Once a second on every idle connection: no need for encoding/json.
		ev.Kind = feed.KindHeartbeat
		d.countUnknownKeys(frame, v1EventKeys)
		return append(dst, ev), nil
	case "pong", "error", "systemStatus", "subscriptionStatus":
	default:
		// Requests echoed back, private events: not ours, and their shapes differ.
		d.unknown(feed.APIV1, "event", name)
		return dst, nil
	}
	var m v1EventJSON
	if err := unmarshal(frame, &m); err != nil {
		return dst, err
	}
	switch name {
	case "pong":
		id, has, err := reqID(m.ReqID, "reqid")
		if err != nil {
			return dst, err
		}
		ev.Kind = feed.KindPong
		ev.Ack = &feed.Ack{Method: "pong", Success: true, ReqID: id, HasReqID: has}
	case "error":
		id, has, err := reqID(m.ReqID, "reqid")
		if err != nil {
			return dst, err
		}
		ev.Kind = feed.KindError
		ev.Ack = &feed.Ack{Method: "error", Error: m.ErrorMessage, Status: m.Status, ReqID: id, HasReqID: has}
	case "systemStatus":
		st, err := v1Status(&m)
		if err != nil {
			return dst, err
		}
		ev.Kind, ev.Status = feed.KindStatus, st
	case "subscriptionStatus":
		ack, err := d.v1SubscriptionStatus(&m)
		if err != nil {
			return dst, err
		}
		ev.Kind, ev.Ack, ev.Pair = feed.KindAck, ack, ack.Pair
	}
	d.countUnknownKeys(frame, v1EventKeys)
	return append(dst, ev), nil
}

func v1Status(m *v1EventJSON) (*feed.Status, error) {
	st := &feed.Status{System: feed.SystemState(m.Status), Version: m.Version}
	var err error
	if st.ConnectionID, err = optUint64(m.ConnectionID, "connectionID"); err != nil {
		return nil, err
	}
	if st.Upcoming, err = maintenances(m.Upcoming, "upcoming_maintenance"); err != nil {
		return nil, err
	}
	if st.Emergency, err = maintenances(m.Emergency, "emergency"); err != nil {
		return nil, err
	}
	return st, nil
}

// v1SubscriptionStatus converts a subscriptionStatus (one per pair). v1 says "subscribed",
// "unsubscribed" or "error"; an error does not say whether a subscribe or an unsubscribe
// failed, so its Method is empty.
func (d *Decoder) v1SubscriptionStatus(m *v1EventJSON) (*feed.Ack, error) {
	ack := &feed.Ack{Status: m.Status, Error: m.ErrorMessage, Pair: d.ackPair(feed.APIV1, m.Pair)}
	switch m.Status {
	case "subscribed":
		ack.Method, ack.Success = "subscribe", true
	case "unsubscribed":
		ack.Method, ack.Success = "unsubscribe", true
	case "ok":
		ack.Success = true
	}
	var err error
	if ack.ReqID, ack.HasReqID, err = reqID(m.ReqID, "reqid"); err != nil {
		return nil, err
	}
	if m.ChannelID != "" {
		if ack.ChannelID, _, err = reqID(m.ChannelID, "channelID"); err != nil {
			return nil, err
		}
	}
	// The channel name says book-<depth> / ohlc-<interval>; the subscription object repeats it.
	name, param, _ := strings.Cut(m.ChannelName, "-")
	if ch, p, ok := v1ChannelName([]byte(m.ChannelName)); ok {
		switch ch {
		case chBook:
			ack.Depth = p
		case chOHLC:
			ack.Interval = p
		}
		ack.Channel = name
	} else if param == "" {
		ack.Channel = m.ChannelName
	}
	if sub := m.Subscription; sub != nil {
		if sub.Name != "" {
			ack.Channel = sub.Name
		}
		depth, err := optInt(sub.Depth, "subscription.depth", 1<<20)
		if err != nil {
			return nil, err
		}
		if depth != 0 {
			ack.Depth = int(depth)
		}
		interval, err := optInt(sub.Interval, "subscription.interval", 1<<20)
		if err != nil {
			return nil, err
		}
		if interval != 0 {
			ack.Interval = int(interval)
		}
	}
	return ack, nil
}
