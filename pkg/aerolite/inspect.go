package aerolite

import "fmt"

// Generation returns the generation of the live record with the given
// digest (20 bytes, as the client computes it), and whether it exists.
// For tests and simulations.
func (s *Server) Generation(namespace string, digest []byte) (uint32, bool) {
	ns := s.ns[namespace]
	if ns == nil || len(digest) != 20 {
		return 0, false
	}
	var d [20]byte
	copy(d[:], digest)
	r := ns.Get(d, s.now())
	if r == nil {
		return 0, false
	}
	return r.Generation, true
}

// SetGeneration sets the generation of the record with the given digest to
// gen (1-65535), leaving its bins, key and expiry as they are. It simulates
// 65536·k intervening writes of the 16-bit generation, the wrap a
// generation check cannot see. For tests and simulations.
func (s *Server) SetGeneration(namespace string, digest []byte, gen uint32) error {
	ns := s.ns[namespace]
	if ns == nil {
		return fmt.Errorf("aerolite: no namespace %q", namespace)
	}
	if len(digest) != 20 {
		return fmt.Errorf("aerolite: digest of %d bytes", len(digest))
	}
	if gen == 0 || gen > 0xffff {
		return fmt.Errorf("aerolite: generation %d is not within 1-65535", gen)
	}
	var d [20]byte
	copy(d[:], digest)
	p := ns.Partition(d)
	p.Lock()
	defer p.Unlock()
	old := p.Record(d)
	if old == nil || old.Expired(s.now()) {
		return fmt.Errorf("aerolite: record %x not found", d)
	}
	// Records are immutable once published: publish a copy.
	rec := *old
	rec.Generation = gen
	ns.Publish(p, d, old, &rec)
	return nil
}
