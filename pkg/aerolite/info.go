package aerolite

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/store"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

// features is what the real server (CE 8.1) advertises; the client needs
// pscans and pquery, and batch-any for the batch protocol it prefers.
const features = "batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;float;geo;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;replicas-all;replicas-master;replicas-max;sindex-exists;truncate-namespace;udf"

// replicaBitmap is the base64 ownership map of all 4096 partitions.
var replicaBitmap = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, store.NumPartitions/8))

// handleInfo answers an info request: names separated by newlines, each
// answered as "name\tvalue\n".
func (s *Server) handleInfo(body []byte) []byte {
	var out bytes.Buffer
	out.Write(make([]byte, 8))
	for _, name := range strings.Split(string(body), "\n") {
		if name == "" {
			continue
		}
		out.WriteString(name)
		out.WriteByte('\t')
		out.WriteString(s.info(name))
		out.WriteByte('\n')
	}
	b := out.Bytes()
	h := wire.FrameHeader(wire.ProtoInfo, len(b)-8)
	copy(b, h[:])
	return b
}

func (s *Server) info(name string) string {
	cmd, args, _ := strings.Cut(name, ":")
	switch cmd {
	case "build":
		return "8.1.2.0"
	case "edition":
		return "Aerospike Community Edition"
	case "version":
		return "Aerospike Community Edition build 8.1.2.0"
	case "node":
		return s.opts.NodeName
	case "features":
		return features
	case "partition-generation":
		return itoa(s.partitionGen.Load())
	case "peers-generation":
		return "1"
	case "peers-clear-std", "peers-clear-alt", "peers-tls-std", "peers-tls-alt", "alumni-clear-std":
		return fmt.Sprintf("1,%d,[]", s.Port())
	case "service-clear-std", "service", "service-clear-alt":
		return s.Addr()
	case "replicas", "replicas-all", "replicas-master":
		return s.replicas(cmd)
	case "cluster-name":
		return s.opts.ClusterName
	case "namespaces":
		return strings.Join(s.opts.Namespaces, ";")
	case "partitions":
		return strconv.Itoa(store.NumPartitions)
	case "rack-ids":
		return ""
	case "statistics":
		return fmt.Sprintf("client_connections=%d", s.stats.Connections.Load())
	case "sindex-create":
		return s.infoSindexCreate(parseInfoArgs(args))
	case "sindex-delete":
		return s.infoSindexDelete(parseInfoArgs(args))
	case "sindex-exists":
		return s.infoSindexExists(parseInfoArgs(args))
	case "sindex-list":
		return s.infoSindexList(parseInfoArgs(args))
	case "sindex-stat":
		return s.infoSindexStat(parseInfoArgs(args))
	case "user-agent-set":
		// Clients 8.x send their name and version on every tend connection
		// to an 8.1+ server; the answer is ignored.
		return "ok"
	case "truncate":
		return s.infoTruncate(parseInfoArgs(args), false)
	case "truncate-namespace":
		return s.infoTruncate(parseInfoArgs(args), true)
	case "aerolite-faults":
		return s.infoFaults(args)
	}
	if strings.HasPrefix(name, "sets/") || name == "sets" {
		return s.infoSets(strings.Split(strings.TrimPrefix(name, "sets"), "/"))
	}
	if strings.HasPrefix(name, "sindex/") {
		return s.infoSindex(strings.Split(strings.TrimPrefix(name, "sindex/"), "/"))
	}
	if strings.HasPrefix(name, "namespace/") {
		return s.infoNamespace(strings.TrimPrefix(name, "namespace/"))
	}
	return "ERROR:4:unrecognized command"
}

func parseInfoArgs(args string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(args, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func (s *Server) replicas(cmd string) string {
	var b strings.Builder
	for _, n := range s.opts.Namespaces {
		b.WriteString(n)
		b.WriteByte(':')
		if cmd == "replicas" {
			b.WriteString("0,")
		}
		b.WriteString("1,")
		b.WriteString(replicaBitmap)
		b.WriteByte(';')
	}
	return b.String()
}

func (s *Server) namespaceArg(a map[string]string) (*store.Namespace, string) {
	n := a["ns"]
	if n == "" {
		n = a["namespace"]
	}
	ns := s.ns[n]
	if ns == nil {
		return nil, "ERROR:20:namespace not found"
	}
	return ns, ""
}

func (s *Server) infoSindexCreate(a map[string]string) string {
	ns, e := s.namespaceArg(a)
	if ns == nil {
		return e
	}
	name := a["indexname"]
	bin, typ, ok := sindexDefinition(a)
	if name == "" || !ok {
		return "ERROR:4:invalid index definition"
	}
	if len(name) > 63 {
		return "ERROR:205:index name too long"
	}
	if it := a["indextype"]; it != "" && !strings.EqualFold(it, "default") {
		return "ERROR:4:only the default index collection type is supported"
	}
	if a["context"] != "" {
		return "ERROR:4:index contexts are not supported"
	}
	if a["exp"] != "" {
		return "ERROR:4:index expressions are not supported"
	}
	var numeric bool
	switch strings.ToLower(typ) {
	case "numeric", "integer": // clients name it "integer" for servers from 8.1.3 on
		numeric = true
	case "string":
	default:
		return "ERROR:4:unsupported index type " + typ
	}
	set := a["set"]
	if old := ns.Index(name); old != nil {
		if old.Set == set && old.Bin == bin && old.Numeric == numeric {
			return "OK"
		}
		return "ERROR:200:index already exists"
	}
	// The same definition under a new name renames the index.
	if old := ns.FindIndex(set, bin, numeric); old != nil {
		ns.DropIndex(old.Name)
	}
	if !ns.CreateIndex(&store.Index{Name: name, Set: set, Bin: bin, Numeric: numeric}) {
		return fmt.Sprintf("ERROR:%d:index already exists", rcIndexFound)
	}
	return "OK"
}

// sindexDefinition returns the bin and type of a sindex-create: 8.1's
// "bin=<bin>;type=<type>" or the older "indexdata=<bin>,<type>" (still
// accepted by 8.1), but not both.
func sindexDefinition(a map[string]string) (bin, typ string, ok bool) {
	data, old := a["indexdata"]
	_, hasBin := a["bin"]
	_, hasType := a["type"]
	if old {
		if hasBin || hasType {
			return "", "", false
		}
		bin, typ, ok = strings.Cut(data, ",")
	} else {
		bin, typ, ok = a["bin"], a["type"], hasBin && hasType
	}
	return bin, typ, ok && bin != "" && typ != ""
}

func (s *Server) infoSindexDelete(a map[string]string) string {
	ns, e := s.namespaceArg(a)
	if ns == nil {
		return e
	}
	if !ns.DropIndex(a["indexname"]) {
		return "ERROR:201:index not found"
	}
	return "OK"
}

func (s *Server) infoSindexExists(a map[string]string) string {
	ns, e := s.namespaceArg(a)
	if ns == nil {
		return e
	}
	return strconv.FormatBool(ns.Index(a["indexname"]) != nil)
}

func (s *Server) infoSindexList(a map[string]string) string {
	var parts []string
	for _, n := range s.opts.Namespaces {
		if want := a["ns"] + a["namespace"]; want != "" && want != n {
			continue
		}
		for _, ix := range s.ns[n].Indexes() {
			typ := "string"
			if ix.Numeric {
				typ = "numeric"
			}
			set := ix.Set
			if set == "" {
				set = "null"
			}
			parts = append(parts, fmt.Sprintf("ns=%s:indexname=%s:set=%s:bin=%s:type=%s:indextype=default:context=null:exp=null:state=RW",
				n, ix.Name, set, ix.Bin, typ))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ";") + ";"
}

// infoSindexStat answers 8.1's sindex-stat:namespace=<ns>;indexname=<index>,
// which supersedes sindex/<ns>/<index>.
func (s *Server) infoSindexStat(a map[string]string) string {
	ns, e := s.namespaceArg(a)
	if ns == nil {
		return e
	}
	return sindexStats(ns, a["indexname"])
}

func (s *Server) infoSindex(p []string) string {
	if len(p) != 2 {
		return "ERROR:4:usage sindex/<ns>/<index>"
	}
	ns := s.ns[p[0]]
	if ns == nil {
		return "ERROR:20:namespace not found"
	}
	return sindexStats(ns, p[1])
}

func sindexStats(ns *store.Namespace, name string) string {
	ix := ns.Index(name)
	if ix == nil {
		return "ERROR:201:no index"
	}
	return fmt.Sprintf("entries=%d;load_pct=100", ix.Entries())
}

func (s *Server) infoSets(p []string) string {
	// p is ["", ns, set] or ["", ns] or [""].
	var b strings.Builder
	for _, n := range s.opts.Namespaces {
		if len(p) > 1 && p[1] != "" && p[1] != n {
			continue
		}
		s.ns[n].ForEachSet(func(name string, objects int64) {
			if len(p) > 2 && p[2] != name {
				return
			}
			if name == "" {
				return
			}
			fmt.Fprintf(&b, "ns=%s:set=%s:objects=%d:tombstones=0:data_used_bytes=0:truncate_lut=0:sindexes=0:index_populating=false:disable-eviction=false:enable-index=false:stop-writes-count=0:stop-writes-size=0;",
				n, name, objects)
		})
	}
	return b.String()
}

func (s *Server) infoNamespace(n string) string {
	ns := s.ns[n]
	if ns == nil {
		return "ERROR:20:namespace not found"
	}
	return fmt.Sprintf("objects=%d;replication-factor=1;default-ttl=%d;nsup-period=1", ns.Count(s.now()), ns.DefaultTTL())
}

// infoTruncate answers truncate and truncate-namespace. The cut-off (lut,
// ns since the Unix epoch) defaults to now and may not lie in the future.
func (s *Server) infoTruncate(a map[string]string, whole bool) string {
	ns := s.ns[a["namespace"]]
	if ns == nil {
		return "OK"
	}
	now := s.now().UnixNano()
	cutoff := now
	if v := a["lut"]; v != "" {
		lut, err := strconv.ParseInt(v, 10, 64)
		if err != nil || lut <= 0 {
			return "ERROR:4:invalid lut"
		}
		if lut > now {
			return "ERROR:4:would truncate in the future"
		}
		cutoff = lut
	}
	set := a["set"]
	if !whole && set == "" {
		return "ERROR:4:missing set"
	}
	ns.Truncate(set, whole, cutoff)
	return "OK"
}

// infoFaults sets fault injection on a running server:
//
//	aerolite-faults:clear
//	aerolite-faults:seed=1;drop-before=1;drop-after=2;fail=1;code=14;delay=1;delay-ms=50;writes-only=true
//	aerolite-faults:next=drop-after;count=1;writes-only=true
//
// Percentages are of AS_MSG commands. Without arguments it reports counts.
func (s *Server) infoFaults(args string) string {
	f := s.faults
	if args == "" {
		return fmt.Sprintf("drop-before=%d;drop-after=%d;fail=%d;delay=%d",
			f.Count(DropBefore), f.Count(DropAfter), f.Count(FailWithCode), f.Count(Delay))
	}
	if args == "clear" {
		f.Clear()
		return "OK"
	}
	a := parseInfoArgs(args)
	num := func(k string) (float64, bool) {
		v, ok := a[k]
		if !ok {
			return 0, true
		}
		n, err := strconv.ParseFloat(v, 64)
		return n, err == nil && n >= 0
	}
	writesOnly := a["writes-only"] == "true"
	if next, ok := a["next"]; ok {
		kinds := map[string]FaultKind{"drop-before": DropBefore, "drop-after": DropAfter, "fail": FailWithCode, "delay": Delay}
		kind, known := kinds[next]
		count, okc := num("count")
		if !known || !okc {
			return "ERROR:4:next must be drop-before, drop-after, fail or delay, with a count"
		}
		f.Next(kind, max(int(count), 1), writesOnly)
		return "OK"
	}
	var cfg FaultConfig
	var ok [7]bool
	var seed, code, delayMs float64
	seed, ok[0] = num("seed")
	cfg.DropBeforePct, ok[1] = num("drop-before")
	cfg.DropAfterPct, ok[2] = num("drop-after")
	cfg.FailPct, ok[3] = num("fail")
	code, ok[4] = num("code")
	cfg.DelayPct, ok[5] = num("delay")
	delayMs, ok[6] = num("delay-ms")
	for _, good := range ok {
		if !good {
			return "ERROR:4:fault settings must be non-negative numbers"
		}
	}
	if code > 255 {
		return "ERROR:4:code must be a result code (0-255)"
	}
	cfg.Seed, cfg.FailCode = int64(seed), ResultCode(code)
	cfg.Delay = time.Duration(delayMs * float64(time.Millisecond))
	cfg.WritesOnly = writesOnly
	f.Set(cfg)
	return "OK"
}
