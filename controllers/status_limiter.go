package controllers

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// statusLimiter remembers when each object's status was last written, so a
// busy run (many workers, progress every second) costs the API server about
// one status write per interval, not one per event.
type statusLimiter struct {
	mu   sync.Mutex
	last map[types.NamespacedName]time.Time
}

// wait is how long to wait before the next write of key's status.
func (l *statusLimiter) wait(key types.NamespacedName, now time.Time, interval time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	last, ok := l.last[key]
	if !ok {
		return 0
	}
	return max(0, last.Add(interval).Sub(now))
}

func (l *statusLimiter) wrote(key types.NamespacedName, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[types.NamespacedName]time.Time{}
	}
	l.last[key] = now
}

func (l *statusLimiter) forget(key types.NamespacedName) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.last, key)
}
