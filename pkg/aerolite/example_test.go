package aerolite_test

import (
	"fmt"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

// Direct access and a manual clock: set records up without a client, look
// at them, and let TTLs run out without sleeping.
func Example() {
	clk := aerolite.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, err := aerolite.NewServer(aerolite.Options{Clock: clk})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	srv.Put("test", "users", "alice", map[string]any{"age": 31, "tags": []string{"admin"}})
	srv.Put("test", "users", "alice", map[string]any{"age": 32}) // merged, generation 2
	srv.Put("test", "users", 7, map[string]any{"name": "seven"})
	srv.SetTTL("test", "users", 7, 10*time.Second)

	e, _ := srv.Get("test", "users", "alice")
	fmt.Println(e.Bins["age"], e.Bins["tags"], e.Generation)
	fmt.Print(srv.Dump("test", "users"))

	srv.FastForward(11 * time.Second)
	fmt.Println(srv.Exists("test", "users", 7), srv.Keys("test", "users"))
	// Output:
	// 32 [admin] 2
	// test/users 7 gen=1 ttl=10s
	//   name: "seven"
	// test/users "alice" gen=2 ttl=never
	//   age: 32
	//   tags: ["admin"]
	// false [alice]
}
