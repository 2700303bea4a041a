package netwatch

import (
	"net"
	"testing"
	"time"
)

func TestProcIP(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F":                         "127.0.0.1",
		"0100000A":                         "10.0.0.1",
		"0000000000000000FFFF00000100000A": "10.0.0.1",
		"zz":                               "<nil>",
	} {
		if got := ProcIP(in); got.String() != want {
			t.Errorf("ProcIP(%s) = %v, want %s", in, got, want)
		}
	}
}

// A connection on loopback is seen when its range is watched, and not when
// another range is.
func TestWatchSeesConnections(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	loop, err := Start("127.0.0.0/8", 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Start("10.0.0.0/24", 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	c.Close()
	if seen, scans := loop.Stop(); len(seen) == 0 || scans == 0 {
		t.Errorf("loopback connection not seen (%d scans)", scans)
	}
	if seen, _ := other.Stop(); len(seen) != 0 {
		t.Errorf("10.0.0.0/24: saw %v", seen)
	}
	if _, err := Start("nonsense", time.Second); err == nil {
		t.Error("a bad CIDR was accepted")
	}
}
