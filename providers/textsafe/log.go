package textsafe

import (
	"context"
	"fmt"
	"log/slog"
)

// LogHandler wraps h so that every message and every text value logged
// through it (strings, errors, Stringers, in groups too) is cleaned with Line
// first. Providers log what servers said (error messages, display names); a
// log file read later with cat or tail must not replay a server's escape
// sequences in the reader's terminal, and JSON encoding alone leaves C1
// controls and bidi characters in place.
func LogHandler(h slog.Handler) slog.Handler { return cleanHandler{h} }

type cleanHandler struct{ next slog.Handler }

func (c cleanHandler) Enabled(ctx context.Context, l slog.Level) bool { return c.next.Enabled(ctx, l) }

func (c cleanHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Line(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(cleanAttr(a))
		return true
	})
	return c.next.Handle(ctx, out)
}

func (c cleanHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = cleanAttr(a)
	}
	return cleanHandler{c.next.WithAttrs(clean)}
}

func (c cleanHandler) WithGroup(name string) slog.Handler {
	return cleanHandler{c.next.WithGroup(Line(name))}
}

func cleanAttr(a slog.Attr) slog.Attr {
	a.Key = Line(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(Line(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = cleanAttr(g)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(Line(x.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(Line(x.String()))
		case []byte:
			a.Value = slog.StringValue(Line(string(x)))
		default:
			a.Value = v
		}
	default:
		a.Value = v
	}
	return a
}
