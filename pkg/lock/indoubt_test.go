package lock

import (
	"errors"
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

func TestInDoubtAcquire(t *testing.T) {
	held := func(txnid, owner string, pending ...string) Snapshot {
		return Snapshot{Held: Held{Holder: txnid, Owner: owner}, Pending: pending}
	}
	cases := []struct {
		name      string
		s         Snapshot
		withEntry bool
		want      AcquireVerdict
	}{
		{"our owner holds it", held("T", "o1", "u:T"), true, Acquired},
		{"our owner holds it, no entry wanted", held("T", "o1"), false, Acquired},
		{"same txnid, another call's lock (R8)", held("T", "o0", "u:T"), true, AcquireNoTrace},
		{"our entry under another holder: applied then stolen", held("X", "ox", "u:T"), true, AcquireLost},
		{"no lock, no entry", held("", ""), true, AcquireNoTrace},
		{"another holder, no entry of ours", held("X", "ox", "u:Y"), true, AcquireNoTrace},
		{"maintenance lock lost: nothing to tell by", held("X", "ox"), false, AcquireNoTrace},
	}
	for _, c := range cases {
		if got := InDoubtAcquire(c.s, "u", "T", "o1", c.withEntry); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestInDoubtRelease(t *testing.T) {
	withEntry := &Lock{UKey: "u", TxnID: "T", Owner: "o1", Generation: 7, pending: true}
	noEntry := &Lock{UKey: "u", TxnID: "rcn-1", Owner: "o1", Generation: 65535}
	cases := []struct {
		name string
		s    Snapshot
		lk   *Lock
		want ReleaseVerdict
	}{
		{"our lock still there", Snapshot{Gen: 7, Held: Held{Holder: "T", Owner: "o1"}, Pending: []string{"u:T"}}, withEntry, NotReleased},
		{"our lock still there though the generation wrapped", Snapshot{Gen: 7, Held: Held{Holder: "T", Owner: "o1"}}, withEntry, NotReleased},
		{"lock and entry gone", Snapshot{Gen: 8}, withEntry, Released},
		{"stolen, entry gone (a cleaner applied it)", Snapshot{Gen: 9, Held: Held{Holder: "cln-x", Owner: "o9"}}, withEntry, Released},
		{"stolen, entry still there", Snapshot{Gen: 8, Held: Held{Holder: "X", Owner: "o9"}, Pending: []string{"u:T"}}, withEntry, ReleaseLost},
		{"no entry: our lock still there", Snapshot{Gen: 65535, Held: Held{Holder: "rcn-1", Owner: "o1"}}, noEntry, NotReleased},
		{"no entry: one write, no lock: ours, or a steal and a release after a wrap (F3)", Snapshot{Gen: 1}, noEntry, ReleaseUnknown},
		{"no entry: a steal (R1)", Snapshot{Gen: 1, Held: Held{Holder: "X", Owner: "o9"}}, noEntry, ReleaseUnknown},
		{"no entry: several writes, ours among them (F2)", Snapshot{Gen: 3}, noEntry, ReleaseUnknown},
	}
	for _, c := range cases {
		if got := InDoubtRelease(c.s, c.lk); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestClassify(t *testing.T) {
	e := func(code types.ResultCode, inDoubt bool) error {
		return &as.AerospikeError{ResultCode: code, InDoubt: inDoubt}
	}
	cases := []struct {
		err  error
		want Class
	}{
		{nil, OK},
		{e(types.TIMEOUT, true), InDoubt},
		{e(types.TIMEOUT, false), NotSent},
		{e(types.NETWORK_ERROR, false), NotSent},
		{e(types.KEY_BUSY, false), Busy},
		{e(types.GENERATION_ERROR, false), Conflict},
		{e(types.FILTERED_OUT, false), Conflict},
		{e(types.KEY_EXISTS_ERROR, false), Conflict},
		{e(types.FAIL_ELEMENT_EXISTS, false), Conflict},
		{e(types.PARAMETER_ERROR, false), Fatal},
		{errors.New("plain"), Fatal},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
