package kraken

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// This file holds what the encoding/json paths (control messages, status, instrument) share.

// unmarshal decodes a frame the scanner has already validated; errors become DecodeErrors.
func unmarshal(frame []byte, v any) error {
	if err := json.Unmarshal(frame, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError converts encoding/json's errors.
func jsonError(err error) *DecodeError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return &DecodeError{Reason: ReasonShape, Offset: int(te.Offset), Path: te.Field,
			Msg: fmt.Sprintf("want %s, got %s", goKind(te.Type), jsonValueName(te.Value))}
	case errors.As(err, &se):
		return &DecodeError{Reason: ReasonSyntax, Offset: int(se.Offset), Msg: se.Error()}
	}
	return &DecodeError{Reason: ReasonShape, Offset: -1, Msg: err.Error()}
}

func goKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	if t == reflect.TypeFor[json.Number]() {
		return "a number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return goKind(t.Elem())
	}
	return "a number"
}

func jsonValueName(v string) string {
	switch v {
	case "string", "number", "array", "object", "bool":
		if v == "bool" {
			return "a boolean"
		}
		if v == "array" || v == "object" {
			return "an " + v
		}
		return "a " + v
	}
	return v
}

// countUnknownKeys adds to Stats.UnknownFields the top-level keys of an object frame that are
// not in known. The frame has been validated already.
func (d *Decoder) countUnknownKeys(frame []byte, known []string) {
	s := scanner{b: frame}
	if s.openObject() != nil {
		return
	}
	for n := 0; ; n++ {
		key, more, err := s.nextKey(n)
		if err != nil || !more {
			return
		}
		found := false
		for _, k := range known {
			if string(key) == k {
				found = true
				break
			}
		}
		if !found {
			d.stats.UnknownFields++
		}
		if s.skip() != nil {
			return
		}
	}
}

// reqID parses an optional request id.
func reqID(n json.Number, field string) (int64, bool, error) {
	if n == "" {
		return 0, false, nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, false, &DecodeError{Reason: ReasonNumber, Offset: -1, Path: field, Msg: fmt.Sprintf("%s is not a 64-bit integer", n)}
	}
	return v, true, nil
}

// optInt parses an optional small non-negative integer (depth, interval, precision).
func optInt(n json.Number, field string, limit int64) (int64, error) {
	if n == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < 0 || v > limit {
		return 0, &DecodeError{Reason: ReasonNumber, Offset: -1, Path: field, Msg: fmt.Sprintf("%s is not an integer in [0, %d]", n, limit)}
	}
	return v, nil
}

// optUint64 parses an optional uint64 (connection ids exceed int64).
func optUint64(n json.Number, field string) (uint64, error) {
	if n == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return 0, &DecodeError{Reason: ReasonNumber, Offset: -1, Path: field, Msg: fmt.Sprintf("%s is not an unsigned 64-bit integer", n)}
	}
	return v, nil
}

// optDecimal parses an optional non-negative exact number (json.Number keeps the token, so
// "1e-08" and "0.50" are read exactly).
func optDecimal(n json.Number, field string) (decimal.Decimal, error) {
	if n == "" {
		return decimal.Decimal{}, nil
	}
	f, err := feed.ParseFixed([]byte(n))
	if err != nil {
		return decimal.Decimal{}, &DecodeError{Reason: ReasonNumber, Offset: -1, Path: field, Msg: err.Error()}
	}
	if f.Sign() < 0 {
		return decimal.Decimal{}, &DecodeError{Reason: ReasonNumber, Offset: -1, Path: field, Msg: fmt.Sprintf("%s must not be negative", n)}
	}
	return f.Decimal(), nil
}

// optTime parses an optional RFC 3339 time.
func optTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, ok := rfc3339([]byte(s))
	if !ok {
		return time.Time{}, &DecodeError{Reason: ReasonTime, Offset: -1, Path: field, Msg: fmt.Sprintf("%q is not an RFC 3339 time", s)}
	}
	return t, nil
}

// maintenanceJSON is one upcoming_maintenance / emergency notice (v1 systemStatus, v2 status).
type maintenanceJSON struct {
	AffectedServices  []string    `json:"affected_services"`
	CancelBeforeUTC   string      `json:"cancel_before_utc"`
	EventID           json.Number `json:"event_id"`
	ExpectedEndUTC    string      `json:"expected_end_utc"`
	ExpectedStartUTC  string      `json:"expected_start_utc"`
	OrderSubmission   string      `json:"order_submission"`
	Phase             string      `json:"phase"`
	RecommendedAction string      `json:"recommended_action"`
	SourceURL         string      `json:"source_url"`
	TimeToStartS      json.Number `json:"time_to_start_s"`
	Title             string      `json:"title"`
}

// maintenances converts a notice list, keeping nil (absent) distinct from empty.
func maintenances(in []maintenanceJSON, field string) ([]feed.Maintenance, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]feed.Maintenance, len(in))
	for i, m := range in {
		path := field + "[" + strconv.Itoa(i) + "]"
		o := &out[i]
		o.Title, o.Phase, o.RecommendedAction = m.Title, m.Phase, m.RecommendedAction
		o.OrderSubmission, o.SourceURL = m.OrderSubmission, m.SourceURL
		o.AffectedServices = m.AffectedServices
		var err error
		if m.EventID != "" {
			if o.EventID, err = strconv.ParseInt(string(m.EventID), 10, 64); err != nil {
				return nil, &DecodeError{Reason: ReasonNumber, Offset: -1, Path: path + ".event_id", Msg: fmt.Sprintf("%s is not an integer", m.EventID)}
			}
		}
		if m.TimeToStartS != "" {
			secs, err := strconv.ParseInt(string(m.TimeToStartS), 10, 64)
			if err != nil || secs > int64(time.Duration(1<<62)/time.Second) || secs < -int64(time.Duration(1<<62)/time.Second) {
				return nil, &DecodeError{Reason: ReasonNumber, Offset: -1, Path: path + ".time_to_start_s", Msg: fmt.Sprintf("%s is not a number of seconds", m.TimeToStartS)}
			}
			o.TimeToStart = time.Duration(secs) * time.Second
		}
		if o.CancelBefore, err = optTime(m.CancelBeforeUTC, path+".cancel_before_utc"); err != nil {
			return nil, err
		}
		if o.ExpectedStart, err = optTime(m.ExpectedStartUTC, path+".expected_start_utc"); err != nil {
			return nil, err
		}
		if o.ExpectedEnd, err = optTime(m.ExpectedEndUTC, path+".expected_end_utc"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ackPair maps the pair named in a control message. Control messages echo what the client
// sent (possibly a pair Kraken rejects as malformed), so the name is kept even when it is not
// BASE/QUOTE.
func (d *Decoder) ackPair(api feed.API, name string) feed.Pair {
	if name == "" {
		return ""
	}
	if p, ok := d.syms.pair(api, []byte(name)); ok {
		return p
	}
	if api == feed.APIV1 {
		return V1ToV2(name)
	}
	return feed.Pair(name)
}
