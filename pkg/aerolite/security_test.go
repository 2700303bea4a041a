package aerolite_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/pkg/bcrypt"
	"github.com/aerospike/aerospike-client-go/v7/types"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

// secUsers are the users of a secured server in these tests.
var secUsers = map[string]string{"worker": "s3cret:from-a-Secret", "other": "pw"}

func secPolicy(user, password string) *as.ClientPolicy {
	cp := srvClientPolicy()
	cp.Timeout = 3 * time.Second
	cp.User, cp.Password = user, password
	return cp
}

// secConnectErr connects a client to srv and returns NewClient's error (nil
// with the client closed at the end of the test).
func secConnectErr(t *testing.T, srv *aerolite.Server, cp *as.ClientPolicy) error {
	t.Helper()
	c, err := as.NewClientWithPolicyAndHost(cp, as.NewHost(srv.Host(), srv.Port()))
	if err != nil {
		return err
	}
	t.Cleanup(c.Close)
	return nil
}

func TestSecurityOffAcceptsClientWithUser(t *testing.T) {
	srv := srvStart(t, aerolite.Options{})
	// A worker given AEROSPIKE_PASSWORD logs in; a server without security
	// answers SECURITY_NOT_ENABLED, which the client takes as "no login
	// needed", on the validator's connection and on every pooled one.
	c := srvConnect(t, srv, secPolicy("worker", "anything"))
	key := srvKey(t, srvNS, "sec", "k")
	srvMustPut(t, c, srvWP(), key, as.BinMap{"a": 1})
	if rec := srvMustGet(t, c, key); rec.Bins["a"] != 1 {
		t.Fatalf("Get = %v", rec.Bins)
	}

	// On the wire: every admin command is answered SECURITY_NOT_ENABLED.
	conn := srvDial(t, srv)
	for _, cmd := range []byte{20, 0, 1, 9} {
		srvSendFrame(t, conn, 2, secAdmin(cmd, secField{0, []byte("worker")}, secField{3, secCred(t, "x")}))
		if rc, _ := secReadAdmin(t, conn); rc != types.SECURITY_NOT_ENABLED {
			t.Errorf("admin command %d answered %v, want SECURITY_NOT_ENABLED", cmd, rc)
		}
	}
}

func TestSecurityLoginAndAuthenticate(t *testing.T) {
	srv := srvStart(t, aerolite.Options{Users: secUsers})
	cp := secPolicy("worker", secUsers["worker"])
	cp.ConnectionQueueSize = 4
	cp.MinConnectionsPerNode = 0
	c := srvConnect(t, srv, cp)

	// Concurrent commands need several connections: each new one
	// authenticates with the session token of the validator's login.
	before := srv.Stats().Connections.Load()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				key, _ := as.NewKey(srvNS, "sec", fmt.Sprintf("%d-%d", w, i))
				if err := c.Put(nil, key, as.BinMap{"w": w, "i": i}); err != nil {
					errs <- fmt.Errorf("Put: %w", err)
					return
				}
				rec, err := c.Get(nil, key)
				if err != nil {
					errs <- fmt.Errorf("Get: %w", err)
					return
				}
				if rec.Bins["i"] != i {
					errs <- fmt.Errorf("Get %v = %v", key, rec.Bins)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.Stats().Connections.Load() - before; n < 2 {
		t.Errorf("%d new connections, want several", n)
	}
	if e, ok := srv.Get(srvNS, "sec", "7-24"); !ok || e.Bins["i"] != 24 {
		t.Errorf("stored record: %v, %v", e, ok)
	}
	if got := srvInfo(t, c, "build")["build"]; got == "" {
		t.Error("info build on an authenticated connection answered nothing")
	}
}

func TestSecurityWrongPasswordOrUser(t *testing.T) {
	srv := srvStart(t, aerolite.Options{Users: secUsers})
	for _, tc := range []struct {
		user, password string
		want           types.ResultCode
	}{
		{"worker", "wrong", types.INVALID_PASSWORD},
		{"worker", "pw", types.INVALID_PASSWORD}, // another user's password
		{"nobody", "pw", types.INVALID_USER},
	} {
		err := secConnectErr(t, srv, secPolicy(tc.user, tc.password))
		if err == nil || !srvIsCode(err, tc.want) {
			t.Errorf("connect as %s/%s: %v, want %v", tc.user, tc.password, err, tc.want)
		}
	}
	// The other user's own password works.
	if err := secConnectErr(t, srv, secPolicy("other", "pw")); err != nil {
		t.Errorf("connect as other: %v", err)
	}
}

func TestSecurityRefusesUnauthenticated(t *testing.T) {
	srv := srvStart(t, aerolite.Options{Users: secUsers})
	// A client without a user: the node validator's info request is
	// answered "ERROR:80:not authenticated" and NewClient fails.
	if err := secConnectErr(t, srv, secPolicy("", "")); err == nil || !srvIsCode(err, types.NOT_AUTHENTICATED) {
		t.Fatalf("connect without a user: %v, want NOT_AUTHENTICATED", err)
	}

	conn := srvDial(t, srv)
	key := srvKey(t, srvNS, "sec", "raw")
	get := srvMsg(1|2, 0, 0, []srvField{{0, []byte(srvNS)}, {4, key.Digest()}}, nil)
	srvSendFrame(t, conn, 3, get)
	if typ, body := srvReadFrame(t, conn); typ != 3 || srvResultCode(t, body) != types.NOT_AUTHENTICATED {
		t.Fatalf("unauthenticated get answered type %d code %v", typ, srvResultCode(t, body))
	}
	srvSendFrame(t, conn, 1, []byte("build\nnamespaces\n"))
	if typ, body := srvReadFrame(t, conn); typ != 1 || string(body) != "ERROR:80:not authenticated\n" {
		t.Fatalf("unauthenticated info answered type %d %q", typ, body)
	}
	srvSendFrame(t, conn, 2, secAdmin(9)) // QUERY_USERS
	if rc, _ := secReadAdmin(t, conn); rc != types.NOT_AUTHENTICATED {
		t.Fatalf("unauthenticated query-users answered %v", rc)
	}
	// A failed login leaves the connection unauthenticated; a good one
	// authenticates it, on the same connection.
	srvSendFrame(t, conn, 2, secAdmin(20, secField{0, []byte("worker")}, secField{3, secCred(t, "nope")}))
	if rc, _ := secReadAdmin(t, conn); rc != types.INVALID_PASSWORD {
		t.Fatalf("bad login answered %v", rc)
	}
	srvSendFrame(t, conn, 3, get)
	if _, body := srvReadFrame(t, conn); srvResultCode(t, body) != types.NOT_AUTHENTICATED {
		t.Fatalf("get after a failed login answered %v", srvResultCode(t, body))
	}
	srvSendFrame(t, conn, 2, secAdmin(20, secField{0, []byte("worker")}, secField{3, secCred(t, secUsers["worker"])}))
	if rc, fields := secReadAdmin(t, conn); rc != types.OK || len(fields[5]) == 0 || binary.BigEndian.Uint32(fields[6]) != 86400 {
		t.Fatalf("login answered %v %v", rc, fields)
	}
	srvSendFrame(t, conn, 3, get)
	if _, body := srvReadFrame(t, conn); srvResultCode(t, body) != types.KEY_NOT_FOUND_ERROR {
		t.Fatalf("get after login answered %v", srvResultCode(t, body))
	}
}

func TestSecuritySessionTokens(t *testing.T) {
	clk := aerolite.NewManualClock(time.Now())
	srv := srvStart(t, aerolite.Options{Users: secUsers, Clock: clk})
	login := srvDial(t, srv)
	srvSendFrame(t, login, 2, secAdmin(20, secField{0, []byte("worker")}, secField{3, secCred(t, secUsers["worker"])}))
	rc, fields := secReadAdmin(t, login)
	token := fields[5]
	if rc != types.OK || len(token) == 0 {
		t.Fatalf("login answered %v %v", rc, fields)
	}
	authenticate := func(user string, token []byte) types.ResultCode {
		t.Helper()
		conn := srvDial(t, srv)
		srvSendFrame(t, conn, 2, secAdmin(0, secField{0, []byte(user)}, secField{5, token}))
		rc, _ := secReadAdmin(t, conn)
		if rc == types.OK { // the connection is authenticated
			srvSendFrame(t, conn, 1, []byte("build\n"))
			if _, body := srvReadFrame(t, conn); string(body) != "build\t8.1.2.0\n" {
				t.Errorf("info after AUTHENTICATE answered %q", body)
			}
		}
		return rc
	}
	if rc := authenticate("worker", token); rc != types.OK {
		t.Errorf("AUTHENTICATE with the token: %v", rc)
	}
	if rc := authenticate("other", token); rc != types.INVALID_CREDENTIAL {
		t.Errorf("AUTHENTICATE as another user: %v", rc)
	}
	if rc := authenticate("worker", []byte("not a token")); rc != types.INVALID_CREDENTIAL {
		t.Errorf("AUTHENTICATE with a made-up token: %v", rc)
	}
	clk.Add(25 * time.Hour)
	if rc := authenticate("worker", token); rc != types.EXPIRED_SESSION {
		t.Errorf("AUTHENTICATE with an expired token: %v", rc)
	}

	// A client whose session expired on the server logs in again when a
	// new connection's AUTHENTICATE answers EXPIRED_SESSION.
	cp := secPolicy("worker", secUsers["worker"])
	cp.ConnectionQueueSize = 2
	c := srvConnect(t, srv, cp)
	key := srvKey(t, srvNS, "sec", "ttl")
	srvMustPut(t, c, srvWP(), key, as.BinMap{"a": 1})
	clk.Add(25 * time.Hour)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Get(nil, key); err != nil {
				t.Errorf("Get after the session expired: %v", err)
			}
		}()
	}
	wg.Wait()
}

type secField struct {
	id   byte
	data []byte
}

// secAdmin builds an admin frame body: a 16-byte header and fields.
func secAdmin(cmd byte, fields ...secField) []byte {
	b := make([]byte, 16)
	b[2], b[3] = cmd, byte(len(fields))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f.data)+1))
		b = append(b, f.id)
		b = append(b, f.data...)
	}
	return b
}

// secCred is the CREDENTIAL the client sends for password.
func secCred(t *testing.T, password string) []byte {
	t.Helper()
	h, err := bcrypt.Hash(password, "$2a$10$7EqJtq98hPqEX7fNZaFWoO")
	if err != nil {
		t.Fatal(err)
	}
	return []byte(h)
}

// secReadAdmin reads an admin reply: its result code and fields by id.
func secReadAdmin(t *testing.T, conn net.Conn) (types.ResultCode, map[byte][]byte) {
	t.Helper()
	typ, body, err := srvTryReadFrame(conn, 5*time.Second)
	if err != nil {
		t.Fatalf("read admin reply: %v", err)
	}
	if typ != 2 || len(body) < 16 {
		t.Fatalf("admin reply of type %d: %x", typ, body)
	}
	fields := map[byte][]byte{}
	b := body[16:]
	for i := 0; i < int(body[3]); i++ {
		n := binary.BigEndian.Uint32(b)
		fields[b[4]] = b[5 : 4+n]
		b = b[4+n:]
	}
	return types.ResultCode(body[1]), fields
}

func TestSecurityRejectsEmptyUserName(t *testing.T) {
	if srv, err := aerolite.NewServer(aerolite.Options{Users: map[string]string{"": "pw"}}); err == nil {
		srv.Close()
		t.Fatal("NewServer accepted an empty user name")
	}
}
