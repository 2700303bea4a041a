package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// setInfo is one line of `scan --set '*'`.
type setInfo struct {
	Set     string `json:"set"`
	Objects int64  `json:"objects"` // summed over nodes: replicas count once per copy
}

// listSets prints the namespace's sets from info `sets/<ns>`, asked of
// every node since each reports only its own objects.
func listSets(c as.ClientIfc, cfg *globalConfig) error {
	nodes := c.GetNodes()
	if len(nodes) == 0 {
		return fmt.Errorf("list sets of %s: no nodes", cfg.Namespace)
	}
	cmd := "sets/" + cfg.Namespace
	objects := map[string]int64{}
	for _, node := range nodes {
		answers, err := node.RequestInfo(&as.InfoPolicy{Timeout: infoTimeout}, cmd)
		if err != nil {
			return fmt.Errorf("list sets of %s on %s: %w", cfg.Namespace, node.GetName(), asErr(err))
		}
		answer := answers[cmd]
		if strings.HasPrefix(answer, "ERROR") {
			return fmt.Errorf("list sets of %s on %s: %s", cfg.Namespace, node.GetName(), answer)
		}
		for set, n := range parseSets(answer) {
			objects[set] += n
		}
	}
	names := make([]string, 0, len(objects))
	for name := range objects {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := printJSON(cfg.Stdout, setInfo{Set: name, Objects: objects[name]}); err != nil {
			return err
		}
	}
	return nil
}

// parseSets reads "ns=test:set=mxn:objects=5:...;ns=...;" into set name to
// object count. Older servers say set_name instead of set.
func parseSets(answer string) map[string]int64 {
	sets := map[string]int64{}
	for _, entry := range strings.Split(answer, ";") {
		var name string
		var objects int64
		for _, field := range strings.Split(entry, ":") {
			k, v, _ := strings.Cut(field, "=")
			switch k {
			case "set", "set_name":
				name = v
			case "objects", "n_objects":
				objects, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if name != "" {
			sets[name] += objects
		}
	}
	return sets
}
