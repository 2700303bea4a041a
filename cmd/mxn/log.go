package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// logLevel orders the --log-level values; a message is written when its
// level is at or below the configured one.
type logLevel int

const (
	levelNone logLevel = iota
	levelErr
	levelWrn
	levelInf
	levelDbg
)

var levelNames = []string{"none", "err", "wrn", "inf", "dbg"}

func (l logLevel) String() string { return levelNames[l] }

func parseLogLevel(s string) (logLevel, error) {
	for i, name := range levelNames {
		if strings.EqualFold(s, name) {
			return logLevel(i), nil
		}
	}
	return levelNone, fmt.Errorf("--log-level %q: want one of %s", s, strings.Join(levelNames, "|"))
}

// logger writes leveled diagnostics to stderr, one line per message. It is
// safe for concurrent use (mputs workers, transaction goroutines).
type logger struct {
	mu    sync.Mutex
	w     io.Writer
	level logLevel
}

func newLogger(w io.Writer, level logLevel) *logger { return &logger{w: w, level: level} }

// Enabled reports whether messages at level are written, so callers can
// skip building expensive ones.
func (l *logger) Enabled(level logLevel) bool { return level != levelNone && level <= l.level }

func (l *logger) Errf(format string, args ...any) { l.logf(levelErr, format, args...) }
func (l *logger) Wrnf(format string, args ...any) { l.logf(levelWrn, format, args...) }
func (l *logger) Inff(format string, args ...any) { l.logf(levelInf, format, args...) }
func (l *logger) Dbgf(format string, args ...any) { l.logf(levelDbg, format, args...) }

// Progressf reports progress of a long run. It is shown at every level but
// none, since a silent multi-minute run looks hung.
func (l *logger) Progressf(format string, args ...any) {
	if l.level != levelNone {
		l.write("", format, args...)
	}
}

// Notef tells the user something they need to act on or know about the
// outcome (a committed transaction that cleanup still has to finish). Like
// progress, it is shown at every level but none.
func (l *logger) Notef(format string, args ...any) {
	if l.level != levelNone {
		l.write("", format, args...)
	}
}

func (l *logger) logf(level logLevel, format string, args ...any) {
	if l.Enabled(level) {
		l.write(level.String()+": ", format, args...)
	}
}

func (l *logger) write(prefix, format string, args ...any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "mxn: %s%s\n", prefix, msg)
}
