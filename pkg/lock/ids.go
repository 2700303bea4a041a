package lock

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand"
	"sync"
)

// IDSource makes the nonces and ids the protocol writes (lock owners, run
// ids, cleaner and reconciler ids). Production uses RandomIDs; a simulation
// injects SeededIDs so that a run can be replayed from its seed.
type IDSource interface {
	// NewID returns a fresh random UUID-shaped id (36 characters).
	NewID() string
}

// RandomIDs draws ids from crypto/rand.
type RandomIDs struct{}

// NewID returns a random UUID (version 4).
func (RandomIDs) NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the OS random source failing is not recoverable
	}
	return formatUUID(b)
}

// SeededIDs draws ids from a seeded generator: the same seed and the same
// sequence of calls give the same ids. Safe for concurrent use.
type SeededIDs struct {
	mu  sync.Mutex
	rng *mrand.Rand
}

// NewSeededIDs returns an id source seeded with seed.
func NewSeededIDs(seed int64) *SeededIDs {
	return &SeededIDs{rng: mrand.New(mrand.NewSource(seed))}
}

// NewID returns the next id.
func (s *SeededIDs) NewID() string {
	var b [16]byte
	s.mu.Lock()
	_, _ = s.rng.Read(b[:])
	s.mu.Unlock()
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// shortID is the 16-hex-digit nonce kept in lck.owner.
func shortID(ids IDSource) string {
	id := ids.NewID()
	return id[0:8] + id[9:13] + id[14:18]
}
