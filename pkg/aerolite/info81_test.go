package aerolite_test

import (
	"strings"
	"testing"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// TestServerInfo81Syntax checks the sindex info commands in both the
// syntax of servers before 8.1 (ns=, indexdata=<bin>,<type>, sindex/<ns>/<ix>)
// and 8.1's (namespace=, bin= and type=, sindex-stat), which client v8 sends
// to a server reporting 8.1. The real 8.1 server takes both.
func TestServerInfo81Syntax(t *testing.T) {
	_, c := srvSetup(t)
	srvMustPut(t, c, srvWP(), srvKey(t, srvNS, "dia", 1), as.BinMap{"n": 1, "s": "a", "m": 2})
	for _, tc := range []struct{ cmd, want string }{
		{"sindex-create:ns=test;set=dia;indexname=old_n;indexdata=n,numeric", "OK"},
		{"sindex-create:namespace=test;set=dia;indexname=new_s;bin=s;type=STRING", "OK"},
		{"sindex-create:namespace=test;set=dia;indexname=new_m;bin=m;type=integer", "OK"},
		{"sindex-exists:ns=test;indexname=old_n", "true"},
		{"sindex-exists:namespace=test;indexname=new_s", "true"},
		{"sindex-stat:ns=test;indexname=new_s", "entries=1;load_pct=100"},
		{"sindex-stat:namespace=test;indexname=new_m", "entries=1;load_pct=100"},
		{"sindex/test/old_n", "entries=1;load_pct=100"},
		{"sindex-stat:namespace=test;indexname=nope", "ERROR:201:"},
		{"sindex-stat:namespace=nope;indexname=new_s", "ERROR:20:"},
		// Old and new definitions together, or half a new one: refused.
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=s;type=string;indexdata=s,string", "ERROR:4:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=s", "ERROR:4:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;type=string", "ERROR:4:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=;type=string", "ERROR:4:"},
		// Expression and geo indexes are not supported.
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=s;type=string;exp=kAI=", "ERROR:4:"},
		{"sindex-create:namespace=test;set=dia;indexname=bad;bin=s;type=geo2dsphere", "ERROR:4:"},
		{"sindex-create:namespace=nope;set=dia;indexname=bad;bin=s;type=string", "ERROR:20:"},
		{"sindex-exists:namespace=test;indexname=bad", "false"},
		{"sindex-delete:ns=test;indexname=new_s", "OK"},
		{"sindex-delete:namespace=test;indexname=new_s", "ERROR:201:"},
		{"sindex-delete:namespace=test;indexname=old_n", "OK"},
		{"user-agent-set:value=MSxnby12OC41LjAsbm90LXNldA==", "ok"},
	} {
		got := srvInfo(t, c, tc.cmd)[tc.cmd]
		ok := got == tc.want
		if strings.HasSuffix(tc.want, ":") {
			ok = strings.HasPrefix(got, tc.want)
		}
		if !ok {
			t.Errorf("%s answered %q, want %q", tc.cmd, got, tc.want)
		}
	}
	l := srvInfo(t, c, "sindex-list:namespace=test")["sindex-list:namespace=test"]
	if l != "ns=test:indexname=new_m:set=dia:bin=m:type=numeric:indextype=default:context=null:exp=null:state=RW;" {
		t.Errorf("sindex-list = %q", l)
	}
}
