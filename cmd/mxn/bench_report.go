package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/mxnlabs/mxn/pkg/txn"
)

// The transaction paths mxn bench compares.
const (
	pathBatched     = "batched"
	pathUnbatched   = "unbatched"
	pathGroupCommit = "group-commit"
)

var benchPaths = []string{pathBatched, pathUnbatched, pathGroupCommit}

// benchReport is everything one mxn bench run measured.
type benchReport struct {
	Concurrency      int                 `json:"concurrency"`
	Records          int                 `json:"records"`
	DurationSec      float64             `json:"phase_s"`
	RawOperatePerSec float64             `json:"raw_operate_per_s"`
	Transactions     []benchRow          `json:"transactions"`
	Latency          *latencyReport      `json:"latency_at_rate,omitempty"`
	Reconcile        *txn.ReconcileBench `json:"reconcile,omitempty"`
	Contention       *contentionRow      `json:"contention,omitempty"`
	Goals            []benchGoal         `json:"goals"`
}

// benchRow is one transaction size on one path.
type benchRow struct {
	Legs        int     `json:"legs"`
	Path        string  `json:"path"`
	PerSec      float64 `json:"committed_per_s"`
	Ratio       float64 `json:"ratio_to_raw"`
	RoundTrips  float64 `json:"round_trips_uncontended"`
	LoadedTrips float64 `json:"round_trips_loaded"`
	// CallsPerBatch is, with group commit, the mean number of callers'
	// calls that shared one batch command under load.
	CallsPerBatch float64 `json:"calls_per_batch,omitempty"`
	Committed     int64   `json:"committed"`
	Attempted     int64   `json:"attempted"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
}

func (r *benchRow) name() string {
	if r.Legs == 1 {
		return "single-record, " + r.Path
	}
	return fmt.Sprintf("%d-leg transfer, %s", r.Legs, r.Path)
}

// latencyReport is the open-loop latency at one fixed rate.
type latencyReport struct {
	RatePerSec float64      `json:"rate_per_s"`
	Rows       []latencyRow `json:"rows"`
	P99Ratio   float64      `json:"p99_group_commit_to_plain"`
}

type latencyRow struct {
	Path      string  `json:"path"`
	PerSec    float64 `json:"committed_per_s"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	Committed int64   `json:"committed"`
}

// contentionRow is the contention phase.
type contentionRow struct {
	Name      string  `json:"name"`
	PerSec    float64 `json:"committed_per_s"`
	Committed int64   `json:"committed"`
	Attempted int64   `json:"attempted"`
	Share     float64 `json:"committed_share"`
	Conflicts int64   `json:"conflicts"`
	Retries   int64   `json:"retries"`
}

// benchGoal is one goal of the performance work, measured in this run.
type benchGoal struct {
	Goal     string  `json:"goal"`
	Measured float64 `json:"measured"`
	Bound    float64 `json:"bound"`
	Met      bool    `json:"met"`
}

func (r *benchReport) row(legs int, path string) *benchRow {
	for i := range r.Transactions {
		if r.Transactions[i].Legs == legs && r.Transactions[i].Path == path {
			return &r.Transactions[i]
		}
	}
	return nil
}

// judge lists the goals this run measured: each is a ratio of this run.
func (r *benchReport) judge() {
	atMost := func(goal string, v, bound float64) {
		r.Goals = append(r.Goals, benchGoal{Goal: goal, Measured: v, Bound: bound, Met: v <= bound})
	}
	atLeast := func(goal string, v, bound float64) {
		r.Goals = append(r.Goals, benchGoal{Goal: goal, Measured: v, Bound: bound, Met: v >= bound})
	}
	for _, row := range r.Transactions {
		if row.Path == pathBatched && row.Legs >= 2 {
			atMost(fmt.Sprintf("round trips of a %d-leg transfer, uncontended", row.Legs), row.RoundTrips, 4)
		}
	}
	if row := r.row(1, pathGroupCommit); row != nil {
		atLeast("single-record transactions/s with group commit ÷ raw operates/s", row.Ratio, 0.6)
	}
	if l := r.Latency; l != nil && l.P99Ratio > 0 {
		atMost("p99 at a fixed rate, group commit ÷ without", l.P99Ratio, 1.2)
	}
	if rc := r.Reconcile; rc != nil {
		atLeast("reconciliation accounts/s, scan-first ÷ exact", rc.ScanOverExact, 10)
		atLeast("reconciliation accounts/s (scan-first) ÷ raw scan log records/s", rc.ScanOverRaw, 0.1)
	}
	if c := r.Contention; c != nil {
		atLeast("contention: share of transfers committed", c.Share, 0.999)
	}
}

// missedGoals names the goals this run missed.
func (r *benchReport) missedGoals() []string {
	var out []string
	for _, g := range r.Goals {
		if !g.Met {
			out = append(out, fmt.Sprintf("%s: %.3f (bound %.3f)", g.Goal, g.Measured, g.Bound))
		}
	}
	return out
}

func (r *benchReport) print(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "concurrency %d, %d accounts, %.0f s per phase; raw operate (add+get): %.0f/s\n\n", r.Concurrency, r.Records, r.DurationSec, r.RawOperatePerSec)
	fmt.Fprintln(w, "transaction\tpath\tcommitted/s\tratio to raw\tround trips alone\tround trips loaded\tcalls/batch\tcommitted/attempted\tp50 ms\tp99 ms\t")
	for _, row := range r.Transactions {
		size := "single-record"
		if row.Legs > 1 {
			size = fmt.Sprintf("%d legs", row.Legs)
		}
		fmt.Fprintf(w, "%s\t%s\t%.0f\t%.3f\t%.2f\t%.2f\t%s\t%d/%d\t%.2f\t%.2f\t\n", size, row.Path, row.PerSec, row.Ratio,
			row.RoundTrips, row.LoadedTrips, orDash(row.CallsPerBatch, "%.1f"), row.Committed, row.Attempted, row.P50Ms, row.P99Ms)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "\nsingle-record at a fixed %.0f/s (open loop)\tcommitted/s\tp50 ms\tp99 ms\t\n", l.RatePerSec)
		for _, row := range l.Rows {
			fmt.Fprintf(w, "%s\t%.0f\t%.2f\t%.2f\t\n", row.Path, row.PerSec, row.P50Ms, row.P99Ms)
		}
	}
	if rc := r.Reconcile; rc != nil {
		fmt.Fprintf(w, "\nreconciliation: %d accounts, %d logs\taccounts/s\tratio\t\n", rc.Accounts, rc.Logs)
		fmt.Fprintf(w, "raw scan of the log set (log records/s)\t%.0f\t\t\n", rc.RawScanRecPerSec)
		fmt.Fprintf(w, "exact (lock + index query per account)\t%.0f\t1\t\n", rc.ExactAccPerSec)
		for _, sh := range rc.Shards {
			fmt.Fprintf(w, "scan-first, %d shard(s), %d of %d proved without a lock\t%.0f\t%.1f\t\n", sh.Shards, sh.Proved, rc.Accounts, sh.AccPerSec, sh.AccPerSec/rc.ExactAccPerSec)
		}
	}
	if c := r.Contention; c != nil {
		fmt.Fprintf(w, "\n%s\tcommitted %d of %d (%.2f%%)\t%.0f/s\t\n", c.Name, c.Committed, c.Attempted, 100*c.Share, c.PerSec)
	}
	fmt.Fprintln(w, "\ngoal\tmeasured\tbound\t\t")
	for _, g := range r.Goals {
		met := "met"
		if !g.Met {
			met = "MISSED"
		}
		fmt.Fprintf(w, "%s\t%.3f\t%.3f\t%s\t\n", g.Goal, g.Measured, g.Bound, met)
	}
	return w.Flush()
}

func orDash(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}
