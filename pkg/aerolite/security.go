package aerolite

// Security: the admin protocol (proto type 2) as aerospike-client-go v7
// speaks it (login_command.go, admin_command.go; Connection.login and the
// node validator call it on every new connection when ClientPolicy.User is
// set).
//
// An admin frame is a 16-byte header (byte 1 result code, byte 2 command,
// byte 3 field count) and fields of 4-byte size (id included), 1-byte id,
// data. The client logs in with LOGIN (USER, CREDENTIAL: bcrypt of the
// password with a fixed salt, see hashPassword in admin_command.go) and
// keeps the SESSION_TOKEN of the reply; each new connection then sends
// AUTHENTICATE (USER, SESSION_TOKEN) and logs in again if that answers
// INVALID_CREDENTIAL or EXPIRED_SESSION.
//
// Without Options.Users aerolite has no security, as Community Edition. Any
// admin frame is answered SECURITY_NOT_ENABLED (52), as an Enterprise server
// with security disabled does: it is the one code the client's login and
// authenticateViaToken take for "no login needed", so a client configured
// with a user (a worker given AEROSPIKE_PASSWORD) keeps working.
// SECURITY_NOT_SUPPORTED (51), which a real CE server may answer, makes
// NewClient fail for such a client.
//
// With Options.Users security is enabled, as on an Enterprise server: LOGIN
// and AUTHENTICATE authenticate the connection; until then an AS_MSG command
// is answered NOT_AUTHENTICATED (80) and an info request
// "ERROR:80:not authenticated" (what the client's node validator looks
// for). The client sends no info before logging in. Other admin commands
// (user and role management) are answered SECURITY_NOT_SUPPORTED once
// authenticated: aerolite has fixed users and no roles.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/aerospike/aerospike-client-go/v7/pkg/bcrypt"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// Admin commands and field ids (admin_command.go).
const (
	adminAuthenticate = 0
	adminLogin        = 20

	adminFieldUser          = 0
	adminFieldCredential    = 3
	adminFieldClearPassword = 4
	adminFieldSessionToken  = 5
	adminFieldSessionTTL    = 6

	adminHeaderSize = 16
)

// credentialSalt is the client's fixed bcrypt salt: the CREDENTIAL it sends
// is bcrypt(password, credentialSalt).
const credentialSalt = "$2a$10$7EqJtq98hPqEX7fNZaFWoO"

// sessionTTL is how long a session token is valid (the server's
// session-ttl default, 1 day). It runs on the server's clock.
const sessionTTL = 24 * time.Hour

// connState is a connection's security state.
type connState struct {
	user string // the authenticated user; "" until LOGIN or AUTHENTICATE
}

type session struct {
	user    string
	expires time.Time
}

// security holds the users (user → credential) and the sessions issued.
type security struct {
	creds    map[string][]byte
	mu       sync.Mutex
	sessions map[string]session // by token
}

// newSecurity hashes the users' passwords as the client does; nil (no
// security) when users is empty.
func newSecurity(users map[string]string) (*security, error) {
	if len(users) == 0 {
		return nil, nil
	}
	sec := &security{creds: map[string][]byte{}, sessions: map[string]session{}}
	for u, p := range users {
		if u == "" {
			return nil, fmt.Errorf("aerolite: empty user name")
		}
		h, err := credential(p)
		if err != nil {
			return nil, fmt.Errorf("aerolite: user %q: %w", u, err)
		}
		sec.creds[u] = h
	}
	return sec, nil
}

func credential(password string) ([]byte, error) {
	h, err := bcrypt.Hash(password, credentialSalt)
	return []byte(h), err
}

// frame answers one frame on a connection: admin frames here, and commands
// on a connection not authenticated to a secured server; the rest goes to
// handleFrame.
func (s *Server) frame(cs *connState, typ byte, body []byte) ([]byte, error) {
	if typ == wire.ProtoAdmin {
		return s.handleAdmin(cs, body)
	}
	if s.sec != nil && cs.user == "" {
		switch typ {
		case wire.ProtoInfo:
			b := append(make([]byte, 8, 40), "ERROR:80:not authenticated\n"...)
			h := wire.FrameHeader(wire.ProtoInfo, len(b)-8)
			copy(b, h[:])
			return b, nil
		case wire.ProtoMsg, wire.ProtoMsgCompressed:
			w := &wire.RespWriter{Buf: make([]byte, 8, 64)}
			w.Header(wire.Info3Last, wire.NotAuthenticated, 0, 0, 0, 0, 0)
			return wire.FinishFrame(w.Buf), nil
		}
	}
	return s.handleFrame(typ, body)
}

// handleAdmin answers an admin frame; a malformed one closes the connection.
func (s *Server) handleAdmin(cs *connState, body []byte) ([]byte, error) {
	if len(body) < adminHeaderSize {
		return nil, fmt.Errorf("%w: short admin frame", wire.ErrMalformed)
	}
	cmd, n := body[2], int(body[3])
	fields := map[byte][]byte{}
	b := body[adminHeaderSize:]
	for i := 0; i < n; i++ {
		if len(b) < 5 {
			return nil, fmt.Errorf("%w: admin field %d", wire.ErrMalformed, i)
		}
		size := binary.BigEndian.Uint32(b)
		if size < 1 || uint64(size) > uint64(len(b)-4) {
			return nil, fmt.Errorf("%w: admin field %d size %d", wire.ErrMalformed, i, size)
		}
		fields[b[4]] = b[5 : 4+size]
		b = b[4+size:]
	}
	if s.sec == nil {
		return adminReply(cmd, wire.SecurityNotEnabled), nil
	}
	switch cmd {
	case adminLogin:
		return s.sec.login(cs, cmd, fields, s.now()), nil
	case adminAuthenticate:
		return s.sec.authenticate(cs, cmd, fields, s.now()), nil
	}
	if cs.user == "" {
		return adminReply(cmd, wire.NotAuthenticated), nil
	}
	return adminReply(cmd, wire.SecurityNotSupported), nil
}

// checkPassword checks a user's CREDENTIAL (or, without one, the
// CLEAR_PASSWORD of external authentication): INVALID_USER for an unknown
// user, INVALID_PASSWORD for a wrong password.
func (sec *security) checkPassword(user string, fields map[byte][]byte) wire.ResultCode {
	want, ok := sec.creds[user]
	if !ok {
		return wire.InvalidUser
	}
	got, ok := fields[adminFieldCredential]
	if !ok {
		clear, ok := fields[adminFieldClearPassword]
		if !ok {
			return wire.InvalidPassword
		}
		var err error
		if got, err = credential(string(clear)); err != nil {
			return wire.InvalidPassword
		}
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return wire.InvalidPassword
	}
	return wire.OK
}

// login answers LOGIN: the connection is authenticated and the reply
// carries a new session token and its TTL in seconds.
func (sec *security) login(cs *connState, cmd byte, fields map[byte][]byte, now time.Time) []byte {
	user := string(fields[adminFieldUser])
	if rc := sec.checkPassword(user, fields); rc != wire.OK {
		return adminReply(cmd, rc)
	}
	token := make([]byte, 32)
	rand.Read(token)
	sec.mu.Lock()
	for t, se := range sec.sessions { // forget expired sessions
		if !now.Before(se.expires) {
			delete(sec.sessions, t)
		}
	}
	sec.sessions[string(token)] = session{user: user, expires: now.Add(sessionTTL)}
	sec.mu.Unlock()
	cs.user = user
	b := adminReply(cmd, wire.OK)
	b[8+3] = 2
	b = adminField(b, adminFieldSessionToken, token)
	b = adminField(b, adminFieldSessionTTL, binary.BigEndian.AppendUint32(nil, uint32(sessionTTL/time.Second)))
	return finishAdmin(b)
}

// authenticate answers AUTHENTICATE with a SESSION_TOKEN this server issued
// to the user (INVALID_CREDENTIAL otherwise, EXPIRED_SESSION once expired)
// or with the user's CREDENTIAL, as LOGIN checks it.
func (sec *security) authenticate(cs *connState, cmd byte, fields map[byte][]byte, now time.Time) []byte {
	user, hasUser := fields[adminFieldUser]
	token, ok := fields[adminFieldSessionToken]
	if !ok {
		rc := sec.checkPassword(string(user), fields)
		if rc == wire.OK {
			cs.user = string(user)
		}
		return adminReply(cmd, rc)
	}
	sec.mu.Lock()
	se, ok := sec.sessions[string(token)]
	sec.mu.Unlock()
	switch {
	case !ok, hasUser && string(user) != se.user:
		return adminReply(cmd, wire.InvalidCredential)
	case !now.Before(se.expires):
		return adminReply(cmd, wire.ExpiredSession)
	}
	cs.user = se.user
	return adminReply(cmd, wire.OK)
}

// adminReply is an admin frame with the result code and no fields.
func adminReply(cmd byte, rc wire.ResultCode) []byte {
	b := make([]byte, 8+adminHeaderSize, 128)
	b[8+1] = byte(rc)
	b[8+2] = cmd
	return finishAdmin(b)
}

func adminField(b []byte, id byte, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)+1))
	b = append(b, id)
	return append(b, data...)
}

func finishAdmin(b []byte) []byte {
	h := wire.FrameHeader(wire.ProtoAdmin, len(b)-8)
	copy(b, h[:])
	return b
}
