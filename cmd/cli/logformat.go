package cli

import (
	"strings"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// multilineEncoder is the console encoder for people: a field whose text spans lines (an
// error carrying a panic's stack trace, a config excerpt) is taken out of the one-line
// field list, where the console encoder would escape it into a single unreadable line, and
// printed after the line, indented, as written (issue 18: stack traces were single escaped
// lines even with --log-format console).
type multilineEncoder struct {
	zapcore.Encoder
}

func (e multilineEncoder) Clone() zapcore.Encoder { return multilineEncoder{e.Encoder.Clone()} }

func (e multilineEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	var keep []zapcore.Field
	var blocks []string
	for _, f := range fields {
		text, ok := multilineText(f)
		if !ok {
			keep = append(keep, f)
			continue
		}
		blocks = append(blocks, f.Key+":\n    "+strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n    "))
	}
	buf, err := e.Encoder.EncodeEntry(ent, keep)
	if err != nil || len(blocks) == 0 {
		return buf, err
	}
	// The entry ends with the line ending; the blocks go after it, each line indented.
	for _, b := range blocks {
		buf.AppendString("  ")
		buf.AppendString(b)
		buf.AppendString("\n")
	}
	return buf, nil
}

// multilineText returns the text of a string or error field that spans lines.
func multilineText(f zapcore.Field) (string, bool) {
	var s string
	switch f.Type {
	case zapcore.StringType:
		s = f.String
	case zapcore.ErrorType:
		err, ok := f.Interface.(error)
		if !ok || err == nil {
			return "", false
		}
		s = err.Error()
	default:
		return "", false
	}
	return s, strings.Contains(s, "\n")
}
