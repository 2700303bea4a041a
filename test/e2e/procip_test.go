//go:build e2e

package e2e

import "testing"

func TestProcIP(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F":                         "127.0.0.1",
		"0100000A":                         "10.0.0.1",
		"0000000000000000FFFF00000100000A": "10.0.0.1",
	} {
		if got := procIP(in); got == nil || got.String() != want {
			t.Errorf("procIP(%s) = %v, want %s", in, got, want)
		}
	}
}
