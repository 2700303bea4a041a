// Package aerolite is a single-node server that speaks the Aerospike wire
// protocol well enough for aerospike-client-go v7 to use it unchanged: an
// embedded store for demos and tests, and a fault injector for chaos tests.
//
//	srv, err := aerolite.Run()          // 127.0.0.1, random free port
//	defer srv.Close()
//	client, _ := as.NewClient(srv.Host(), srv.Port())
//
// Tests can reach the store directly, without a client (state.go), and
// control time (clock.go):
//
//	clk := aerolite.NewManualClock(time.Now())
//	srv, _ := aerolite.NewServer(aerolite.Options{Clock: clk})
//	srv.Put("test", "users", "alice", map[string]any{"age": 31})
//	e, ok := srv.Get("test", "users", "alice") // e.Bins["age"] == 31
//	srv.FastForward(11 * time.Second)          // TTLs run out, no sleeping
//	fmt.Print(srv.Dump("test", "users"))
//	srv.CheckGet(t, "test", "users", "alice", map[string]any{"age": 31})
//
// This package is the server: listener, connections, command dispatch
// (single-record commands, batches, scans and queries), info commands,
// optional security (Options.Users: login as on an Enterprise server), fault
// injection, the clock and direct access. It is built on internal packages
// with one concern each: internal/wire (frames, messages, result codes),
// internal/value (the value model and its encodings), internal/store (the
// storage engine), internal/cdt (list and map operations) and internal/exp
// (the expression interpreter).
package aerolite

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Listen is the TCP address; default "127.0.0.1:0" (a free port).
	Listen string
	// Namespaces to serve; default ["test"].
	Namespaces []string
	// ClusterName answered to "cluster-name"; default "aerolite".
	ClusterName string
	// NodeName answered to "node"; default derived from the address.
	NodeName string
	// DefaultTTL in seconds for records written with TTL 0; default 0 (never).
	DefaultTTL uint32
	// MaxFrameSize bounds an incoming frame; larger frames close the
	// connection. Default 128 MiB (the server's proto limit).
	MaxFrameSize int
	// MaxRecordSize bounds a stored record (RECORD_TOO_BIG); default 1 MiB.
	MaxRecordSize int
	// PendingLimit is the number of writes that may queue on one record
	// before further ones fail with KEY_BUSY (transaction-pending-limit);
	// default 20, negative disables.
	PendingLimit int
	// ReapInterval is how often, in real time, expired records are removed
	// from set counts and indexes (the server's nsup); default 1s. Expired
	// records are never visible, reaped or not, and FastForward, SetTime
	// and a ManualClock's Add and Set reap at once.
	ReapInterval time.Duration
	// Logger receives one line per connection error; default discards.
	Logger *log.Logger
	// Clock is where the server reads the time (expiry, last-update times,
	// the Delay fault); default the wall clock. See ManualClock.
	Clock Clock
	// Now is a clock given as a function, used when Clock is nil (a Clock
	// with Now alone: the Delay fault sleeps in real time).
	Now func() time.Time
	// Users (user name → password) enables security, as on an Enterprise
	// server: a connection must LOGIN or AUTHENTICATE (the client does when
	// ClientPolicy.User is set) before any command or info request, which
	// are answered NOT_AUTHENTICATED until then. Empty: no security, and a
	// client's login is answered SECURITY_NOT_ENABLED, which the client
	// accepts (see security.go).
	Users map[string]string
}

// Server is a running aerolite server.
type Server struct {
	opts   Options
	ln     net.Listener
	ns     map[string]*store.Namespace
	faults *Faults
	sec    *security // nil: no security (Options.Users empty)

	clock  Clock
	skew   atomic.Int64  // FastForward/SetTime on a clock that is not a *ManualClock
	tickMu sync.Mutex    // guards ticked
	ticked chan struct{} // closed (and replaced) when skew changes
	unhook func()        // unregisters from a *ManualClock
	reapMu sync.Mutex    // one reap at a time

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed atomic.Bool
	wg     sync.WaitGroup
	stop   chan struct{}

	partitionGen atomic.Int64
	stats        Stats
}

// Stats counts what the server did (for tests and the CLI).
type Stats struct {
	Connections atomic.Int64
	Commands    atomic.Int64
	ConnErrors  atomic.Int64
	// Queries counts scans and queries answered; it is incremented once
	// the whole response (the server's snapshot) has been built, so a
	// caller that sees it move knows later writes cannot show in it.
	Queries atomic.Int64
}

// Run starts a server on a free port of 127.0.0.1 with default options.
func Run() (*Server, error) { return NewServer(Options{}) }

// NewServer starts a server with the given options.
func NewServer(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if len(opts.Namespaces) == 0 {
		opts.Namespaces = []string{"test"}
	}
	if opts.ClusterName == "" {
		opts.ClusterName = "aerolite"
	}
	if opts.MaxFrameSize <= 0 {
		opts.MaxFrameSize = wire.DefaultMaxFrameSize
	}
	if opts.MaxRecordSize <= 0 {
		opts.MaxRecordSize = 1 << 20
	}
	if opts.PendingLimit == 0 {
		opts.PendingLimit = 20
	}
	if opts.ReapInterval <= 0 {
		opts.ReapInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = log.New(io.Discard, "", 0)
	}
	clock := opts.Clock
	switch {
	case clock != nil:
	case opts.Now != nil:
		clock = funcClock(opts.Now)
	default:
		clock = wallClock{}
	}
	for _, n := range opts.Namespaces {
		if n == "" || len(n) > 31 {
			return nil, fmt.Errorf("aerolite: invalid namespace name %q", n)
		}
	}
	sec, err := newSecurity(opts.Users)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("aerolite: listen %s: %w", opts.Listen, err)
	}
	if opts.NodeName == "" {
		opts.NodeName = fmt.Sprintf("A1%X", ln.Addr().(*net.TCPAddr).Port)
	}
	s := &Server{
		opts:   opts,
		ln:     ln,
		ns:     map[string]*store.Namespace{},
		faults: newFaults(),
		sec:    sec,
		clock:  clock,
		ticked: make(chan struct{}),
		conns:  map[net.Conn]struct{}{},
		stop:   make(chan struct{}),
	}
	s.partitionGen.Store(1)
	for _, n := range opts.Namespaces {
		s.ns[n] = store.NewNamespace(n, opts.DefaultTTL)
	}
	if mc, ok := clock.(*ManualClock); ok {
		s.unhook = mc.onChange(s.reap)
	}
	s.wg.Add(2)
	go s.acceptLoop()
	go s.reapLoop()
	return s, nil
}

// Addr returns the listening address as host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host returns the listening host.
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the listening port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Faults returns the server's fault injector.
func (s *Server) Faults() *Faults { return s.faults }

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Close stops the server: the listener and every connection are closed and
// Close waits for their goroutines.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(s.stop)
	if s.unhook != nil {
		s.unhook()
	}
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.closed.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			s.opts.Logger.Printf("aerolite: accept: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed.Load() {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.stats.Connections.Add(1)
		s.wg.Add(1)
		go s.serveConn(c)
	}
}

func (s *Server) reapLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.ReapInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.reap()
		}
	}
}

// reap removes the records expired at the server's now (nsup).
func (s *Server) reap() {
	s.reapMu.Lock()
	defer s.reapMu.Unlock()
	now := s.now()
	for _, ns := range s.ns {
		ns.Reap(now)
	}
}

// now is the server's time: its clock, moved by FastForward and SetTime
// when the clock is not a *ManualClock.
func (s *Server) now() time.Time {
	t := s.clock.Now()
	if k := s.skew.Load(); k != 0 {
		t = t.Add(time.Duration(k))
	}
	return t
}

// Now returns the server's current time (its Clock, plus what FastForward
// and SetTime added to a clock that is not a *ManualClock).
func (s *Server) Now() time.Time { return s.now() }

// FastForward moves the server's time forward by d: records whose TTL runs
// out become invisible and are reaped before FastForward returns, and
// delayed replies whose delay has passed are released. With a *ManualClock
// it moves the clock itself (and every server on it); with another clock
// (the default wall clock too) it adds d to this server's time from now on.
func (s *Server) FastForward(d time.Duration) {
	if mc, ok := s.clock.(*ManualClock); ok {
		mc.Add(d) // reaps through the clock's hook
		return
	}
	s.skew.Add(int64(d))
	s.timeMoved()
}

// SetTime sets the server's time to t, as FastForward does. With a clock
// other than a *ManualClock, time goes on from t at the clock's pace.
func (s *Server) SetTime(t time.Time) {
	if mc, ok := s.clock.(*ManualClock); ok {
		mc.Set(t)
		return
	}
	s.skew.Store(int64(t.Sub(s.clock.Now())))
	s.timeMoved()
}

// timeMoved reaps and wakes the replies waiting on the skewed clock.
func (s *Server) timeMoved() {
	s.reap()
	s.tickMu.Lock()
	close(s.ticked)
	s.ticked = make(chan struct{})
	s.tickMu.Unlock()
}

// wait blocks for d of the server's time (the Delay fault): a *ManualClock
// releases it when moved past the deadline, the wall clock when d has
// passed or FastForward/SetTime moved the time past it, a Clock without
// After after a real sleep of d. It returns false if the server closed.
func (s *Server) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	switch c := s.clock.(type) {
	case *ManualClock: // never skewed: FastForward moves the clock itself
		ch, cancel := c.after(d)
		defer cancel()
		select {
		case <-ch:
			return true
		case <-s.stop:
			return false
		}
	case clockAfter:
	default:
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-s.stop:
			return false
		}
	}
	deadline := s.now().Add(d)
	for {
		now := s.now()
		if !now.Before(deadline) {
			return true
		}
		s.tickMu.Lock()
		ticked := s.ticked
		s.tickMu.Unlock()
		select {
		case <-s.clock.(clockAfter).After(deadline.Sub(now)):
		case <-ticked:
		case <-s.stop:
			return false
		}
	}
}

// errDropConn makes the connection loop close the connection silently
// (fault injection).
var errDropConn = errors.New("connection dropped by fault injection")

func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	r := bufio.NewReaderSize(c, 16<<10)
	var hdr [8]byte
	var body []byte
	var cs connState
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err != io.EOF && !s.closed.Load() && !errors.Is(err, net.ErrClosed) {
				s.connError(c, fmt.Errorf("read header: %w", err))
			}
			return
		}
		size := int(binary.BigEndian.Uint64(hdr[:]) & 0xffffffffffff)
		if hdr[0] != wire.ProtoVersion {
			s.connError(c, fmt.Errorf("bad proto version %d", hdr[0]))
			return
		}
		if size > s.opts.MaxFrameSize {
			s.connError(c, fmt.Errorf("frame of %d bytes exceeds limit %d", size, s.opts.MaxFrameSize))
			return
		}
		if cap(body) < size {
			body = make([]byte, size)
		}
		body = body[:size]
		if _, err := io.ReadFull(r, body); err != nil {
			s.connError(c, fmt.Errorf("read body: %w", err))
			return
		}
		s.stats.Commands.Add(1)
		resp, err := s.frame(&cs, hdr[1], body)
		if err != nil {
			if !errors.Is(err, errDropConn) {
				s.connError(c, err)
			}
			return
		}
		if resp == nil {
			continue
		}
		if _, err := c.Write(resp); err != nil {
			if !s.closed.Load() {
				s.connError(c, fmt.Errorf("write: %w", err))
			}
			return
		}
	}
}

func (s *Server) connError(c net.Conn, err error) {
	s.stats.ConnErrors.Add(1)
	s.opts.Logger.Printf("aerolite: connection %s: %v", c.RemoteAddr(), err)
}

// handleFrame answers one frame; an error closes the connection.
func (s *Server) handleFrame(typ byte, body []byte) (resp []byte, err error) {
	defer func() {
		// A bug must cost one connection, never the server or stored data:
		// commands build new records and publish them only when complete.
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("internal error: %v", p)
		}
	}()
	switch typ {
	case wire.ProtoInfo:
		return s.handleInfo(body), nil
	case wire.ProtoMsg:
		return s.handleMsg(body)
	case wire.ProtoMsgCompressed:
		// Compression is an Enterprise feature: Community Edition answers
		// ENTERPRISE_ONLY, and so does aerolite (after checking the frame).
		if _, err := wire.DecompressFrame(body, s.opts.MaxFrameSize); err != nil {
			return nil, err
		}
		w := &wire.RespWriter{Buf: make([]byte, 8, 64)}
		w.Header(wire.Info3Last, rcEnterpriseOnly, 0, 0, 0, 0, 0)
		return wire.FinishFrame(w.Buf), nil
	}
	return nil, fmt.Errorf("unknown proto type %d", typ)
}

// handleMsg runs one AS_MSG command with fault injection around it.
func (s *Server) handleMsg(body []byte) ([]byte, error) {
	m, err := wire.ParseMessage(body)
	if err != nil {
		return nil, err
	}
	f := s.faults.decide(m)
	if f.dropBefore {
		return nil, errDropConn
	}
	if f.failCode != 0 {
		w := &wire.RespWriter{Buf: make([]byte, 8, 64)}
		w.Header(wire.Info3Last, f.failCode, 0, 0, 0, 0, 0)
		return wire.FinishFrame(w.Buf), nil
	}
	resp := s.dispatch(m)
	if f.delay > 0 && !s.wait(f.delay) {
		return nil, errDropConn // the server is closing
	}
	if f.dropAfter {
		return nil, errDropConn
	}
	return resp, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
