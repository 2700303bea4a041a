package txn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"

	"github.com/mxnlabs/mxn/pkg/lock"
)

// MaxAlternatives bounds the alternatives of one request.
const MaxAlternatives = 99

// AlternativeTxnID is the txnid of alternative i (0-based) of request:
// "<request>.<i+1>".
func AlternativeTxnID(request string, i int) string {
	return request + "." + strconv.Itoa(i+1)
}

// Alternative is how one alternative of a request ended.
type Alternative struct {
	TxnID   string  `json:"txnid"`
	Legs    []Leg   `json:"legs"`
	Outcome Outcome `json:"outcome"`
	// Error says why it did not commit ("" if it did).
	Error string `json:"error,omitempty"`
	// Run is the result of this call's run of it (nil if this call found
	// it decided already, by an earlier call of the request, and did not
	// run it).
	Run *Result `json:"run,omitempty"`
}

// FirstResult is the outcome of RunFirst.
type FirstResult struct {
	Request string `json:"request"`
	// Committed is the index of the alternative that committed, -1 if
	// none did (every one tried is decided aborted), or -1 with InDoubt
	// when one could not be decided: then none after it was tried.
	Committed    int           `json:"committed"`
	InDoubt      bool          `json:"in_doubt,omitempty"`
	Alternatives []Alternative `json:"alternatives"`
}

// ErrNoAlternative is matched (errors.Is) by RunFirst's error when every
// alternative was decided aborted.
var ErrNoAlternative = errors.New("no alternative committed")

// RunFirst runs the alternatives of a request in order until one commits:
// "debit the EUR balance, else the USD one, else record a failed payment".
// At most one alternative ever commits, whatever crashes, reruns of the
// request (RunFirst again with the same request id: safe, it picks up
// where the earlier call stopped) and cleanups happen: alternative i runs
// as txnid AlternativeTxnID(request, i), and alternative i+1 is tried only
// once alternative i is decided aborted at its primary log — flipped
// aborted or tombstoned there if it was not yet, so that no run of it can
// commit later (docs/protocol.md §5.1). A decided primary never changes
// (I3), so two alternatives can never both commit.
//
// It returns the index of the committed alternative (its legs applied, or
// left for cleanup to apply), or -1 with an error matching
// ErrNoAlternative when every alternative was aborted, or ErrInDoubt when
// one could not be decided (rerun RunFirst, or let cleanup decide it).
func (m *Manager) RunFirst(ctx context.Context, request string, alternatives ...[]Leg) (*FirstResult, error) {
	if err := ValidateTxnID(AlternativeTxnID(request, MaxAlternatives-1)); err != nil {
		return nil, fmt.Errorf("request %q: %w", request, err)
	}
	if len(alternatives) == 0 || len(alternatives) > MaxAlternatives {
		return nil, fmt.Errorf("request %s: %d alternatives, want 1 to %d", request, len(alternatives), MaxAlternatives)
	}
	canon := make([][]Leg, len(alternatives))
	for i, legs := range alternatives {
		c, err := canonical(legs)
		if err != nil {
			return nil, fmt.Errorf("request %s, alternative %d: %w", request, i+1, err)
		}
		canon[i] = c
	}
	if err := m.bindRequest(ctx, request, canon); err != nil {
		return nil, err
	}
	res := &FirstResult{Request: request, Committed: -1}
	for i, legs := range canon {
		alt := Alternative{TxnID: AlternativeTxnID(request, i), Legs: legs}
		d, err := m.alternativeFate(ctx, alt.TxnID, legs[0].UKey)
		ran := false
		if err == nil && d == Undecided {
			// Never claimed: run it. Whatever it reports, its primary is
			// then decided below before anything else is tried; this run
			// is over, so a pending primary is aborted at once.
			ran = true
			alt.Run, err = m.Run(ctx, alt.TxnID, legs...)
			alt.Outcome = OutcomeOf(err)
			if err == nil {
				alt.Outcome = alt.Run.Outcome
				res.Committed = i
				res.Alternatives = append(res.Alternatives, alt)
				return res, nil
			}
			alt.Error = err.Error()
			d, err = m.decideAlternative(ctx, alt.TxnID, legs[0].UKey)
		}
		if err != nil {
			alt.Outcome = OutcomeInDoubt
			alt.Error = strings.TrimPrefix(alt.Error+"; ", "; ") + "then deciding it: " + err.Error()
			res.Alternatives = append(res.Alternatives, alt)
			res.InDoubt = true
			return res, &Error{TxnID: alt.TxnID, Outcome: OutcomeInDoubt, Step: "decide alternative", Cause: err}
		}
		switch {
		case d == Committed:
			// Committed by an earlier call of the request (Run nil), or
			// by this call's run whose reply was lost: then what it did
			// not apply is left for cleanup.
			alt.Outcome, alt.Error = OutcomeCommitted, ""
			if ran && (alt.Run == nil || alt.Run.Applied < len(legs)) {
				alt.Outcome = OutcomeCommittedUnapplied
			}
			res.Committed = i
			res.Alternatives = append(res.Alternatives, alt)
			return res, nil
		case ran && alt.Outcome == OutcomeInDoubt:
			alt.Outcome = OutcomeAborted // decided so at its primary; the run's error says why
		case ran:
			// The run's own final outcome (no-account, conflict, ...) says why.
		default:
			alt.Outcome, alt.Error = OutcomeAborted, "decided aborted by an earlier call of the request"
		}
		res.Alternatives = append(res.Alternatives, alt)
	}
	return res, fmt.Errorf("request %s: %w: all %d aborted", request, ErrNoAlternative, len(canon))
}

// alternativeFate reads alternative txnid's primary log at ukey: its
// run's decision, or Undecided if it was never claimed; a pending primary
// is decided (decideAlternative) first.
//
// A pending primary younger than the sweep age belongs to a run that may
// be live (another call of the request, e.g. a client's retry while its
// first call still runs): it is left to finish, and read again, rather
// than aborted; otherwise two callers could abort each other's
// alternatives, the last one included.
func (m *Manager) alternativeFate(ctx context.Context, txnid, primary string) (Decision, error) {
	lc := m.locker.Config()
	age := DefaultSweepAge(lc.TTL, lc.Grace)
	for {
		p, err := m.readLog(ctx, primary, txnid)
		if err != nil || p == nil {
			return Undecided, err
		}
		if !p.IsPrimary() {
			return Undecided, errNotPrimary(primary, txnid)
		}
		if d := Fate(p, p); d != Undecided {
			return d, nil
		}
		if !oldEnough(p, m.cfg.Clock.Now(), age) {
			if err := m.cfg.Clock.Sleep(ctx, min(age/20, time.Second)); err != nil {
				return Undecided, err
			}
			continue
		}
		return m.decideAlternative(ctx, txnid, primary)
	}
}

// decideAlternative makes alternative txnid decided at its primary log:
// committed or aborted as it stands, or aborted now (a pending primary
// flipped by abortRun, a missing one tombstoned, create-only: no run of it
// can claim or commit afterwards). A live run of it is fenced by this, as
// by cleanup: its commit flip is checked against the primary's generation
// and status.
func (m *Manager) decideAlternative(ctx context.Context, txnid, primary string) (Decision, error) {
	key, err := m.logKey(primary, txnid)
	if err != nil {
		return Undecided, err
	}
	bo := m.backoffer("decide alternative " + txnid)
	for {
		p, err := m.readLog(ctx, primary, txnid)
		switch {
		case err != nil:
			return Undecided, err
		case p != nil && !p.IsPrimary():
			return Undecided, errNotPrimary(primary, txnid)
		case p != nil && Fate(p, p) != Undecided:
			return Fate(p, p), nil
		case p != nil:
			return m.abortRun(ctx, p)
		}
		werr := m.tombstone(key, primary, txnid, primary)
		switch lock.Classify(werr) {
		case lock.OK:
			return Aborted, nil
		case lock.Fatal:
			return Undecided, fmt.Errorf("tombstone %s:%s: %w", primary, txnid, werr)
		}
		// Created meanwhile, in doubt, busy or not sent: read again.
		if err := bo.Backoff(ctx, werr); err != nil {
			return Undecided, err
		}
	}
}

// RequestSetName is the set of the request records of RunFirst, beside
// the account set (not in the log set, which audits scan).
func RequestSetName(set string) string { return set + "req" }

// ErrRequestReused is matched (errors.Is) by RunFirst's error when the
// request id was made before with other alternatives.
var ErrRequestReused = errors.New("request id already used with other alternatives")

// bindRequest ties request to its alternatives: a request record, created
// once (create-only), holds a digest of the canonical alternatives, and a
// call with other alternatives (another order, other legs or amounts) is
// refused before it touches anything. Without it a rerun with reordered
// alternatives would look for alternative i's primary at another key and
// could commit a second alternative.
func (m *Manager) bindRequest(ctx context.Context, request string, alts [][]Leg) error {
	h := sha256.New()
	for _, legs := range alts {
		fmt.Fprintf(h, "%s|", formatLegs(legs))
	}
	digest := hex.EncodeToString(h.Sum(nil))
	key, err := as.NewKey(m.cfg.Namespace, RequestSetName(m.cfg.Set), request)
	if err != nil {
		return fmt.Errorf("request %s: %w", request, err)
	}
	wp := m.cfg.writePolicy()
	wp.RecordExistsAction = as.CREATE_ONLY
	wp.SendKey = true
	bo := m.backoffer("bind request " + request)
	for {
		werr := m.client.Put(wp, key, as.BinMap{"alts": digest, "n": len(alts), LogTime: m.cfg.Clock.Now().UnixMilli()})
		c := lock.Classify(werr)
		switch c {
		case lock.OK:
			return nil
		case lock.Fatal:
			return fmt.Errorf("request %s: record it: %w", request, werr)
		}
		if c == lock.Conflict || c == lock.InDoubt {
			rec, err := m.get(ctx, key)
			if err != nil {
				return fmt.Errorf("request %s: read it: %w", request, err)
			}
			if rec != nil {
				if got, _ := rec.Bins["alts"].(string); got != digest {
					return fmt.Errorf("request %s: %w", request, ErrRequestReused)
				}
				return nil
			}
		}
		if err := bo.Backoff(ctx, werr); err != nil {
			return fmt.Errorf("request %s: record it: %w", request, err)
		}
	}
}

// errNotPrimary: the log at alternative txnid's primary key is not a
// primary, so that txnid was run with other legs outside RunFirst (A9).
func errNotPrimary(primary, txnid string) error {
	return fmt.Errorf("log %s:%s is not the primary of alternative %s: the request id was used for other transactions", primary, txnid, txnid)
}
