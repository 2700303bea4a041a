package txn

import (
	"context"
	"fmt"
	"sync"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/aerospike/aerospike-client-go/v7/types"
)

// ReconcileBenchOptions configure BenchReconcile.
type ReconcileBenchOptions struct {
	Accounts       int // default 5,000
	LogsPerAccount int // default 8
	// Shards are the numbers of partition ranges the scan-first mode is
	// measured with, reconciled at once and merged (default 1, 2, 4).
	Shards []int
	// Concurrency of each reconciliation (default 8).
	Concurrency int
	// SkipExact skips the exact mode (the slowest measurement).
	SkipExact bool
	// SkipBuild measures a dataset built before (BuildReconcileDataset).
	SkipBuild bool
}

func (o ReconcileBenchOptions) withDefaults() ReconcileBenchOptions {
	if o.Accounts <= 0 {
		o.Accounts = 5000
	}
	if o.LogsPerAccount <= 0 {
		o.LogsPerAccount = 8
	}
	if len(o.Shards) == 0 {
		o.Shards = []int{1, 2, 4}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	return o
}

// ReconcileBench is one measurement of the reconciliation modes against a
// raw scan of the log set.
type ReconcileBench struct {
	Accounts int     `json:"accounts"`
	Logs     int     `json:"logs"`
	BuildSec float64 `json:"build_s,omitempty"`
	// RawScanRecPerSec: log records per second of a scan of the whole log
	// set, all bins (after one scan to warm up).
	RawScanSec       float64 `json:"raw_scan_s"`
	RawScanRecPerSec float64 `json:"raw_scan_rec_per_s"`
	ExactSec         float64 `json:"exact_s,omitempty"`
	ExactAccPerSec   float64 `json:"exact_acc_per_s,omitempty"`
	ScanSec          float64 `json:"scan_s"`
	ScanAccPerSec    float64 `json:"scan_acc_per_s"`
	ScanProved       int     `json:"scan_proved"`
	// ScanOverExact = ScanAccPerSec / ExactAccPerSec; ScanOverRaw =
	// ScanAccPerSec / RawScanRecPerSec (accounts per log record scanned).
	ScanOverExact float64             `json:"scan_over_exact,omitempty"`
	ScanOverRaw   float64             `json:"scan_over_raw"`
	Shards        []ReconcileShardRun `json:"shards"`
}

// ReconcileShardRun is the scan-first mode over the Shards ranges of
// AllPartitions.Split(Shards): reconciled at once (Sec, AccPerSec: as
// many workers would, sharing this machine), then one after another
// (SeqSec: their sum; MaxRangeSec: the slowest range alone, the time of
// Shards workers on machines of their own).
type ReconcileShardRun struct {
	Shards      int     `json:"shards"`
	Sec         float64 `json:"s"`
	AccPerSec   float64 `json:"acc_per_s"`
	SeqSec      float64 `json:"seq_s"`
	MaxRangeSec float64 `json:"max_range_s"`
	Proved      int     `json:"proved"`
}

// BenchReconcile builds a dataset in cfg's set (accounts whose balances
// equal their committed logs; the set should be empty) and measures the
// raw scan of its log set, the exact mode and the scan-first mode (over
// each number of shards). Every reconciliation must come out clean.
func BenchReconcile(ctx context.Context, c Client, cfg Config, opts ReconcileBenchOptions) (*ReconcileBench, error) {
	opts = opts.withDefaults()
	m := NewManager(c, cfg)
	res := &ReconcileBench{Accounts: opts.Accounts}
	if !opts.SkipBuild {
		start := time.Now()
		if err := m.BuildReconcileDataset(ctx, opts.Accounts, opts.LogsPerAccount); err != nil {
			return res, err
		}
		res.BuildSec = time.Since(start).Seconds()
	}
	logs := 0
	countLogs := func(*as.Record) error { logs++; return nil }
	if err := m.scan(ctx, LogSetName(m.cfg.Set), AllPartitions, nil, nil, countLogs); err != nil {
		return res, err
	}
	logs = 0
	start := time.Now()
	if err := m.scan(ctx, LogSetName(m.cfg.Set), AllPartitions, nil, nil, countLogs); err != nil {
		return res, err
	}
	res.RawScanSec = time.Since(start).Seconds()
	res.Logs = logs
	res.RawScanRecPerSec = float64(logs) / res.RawScanSec

	// rcn reconciles the ranges of AllPartitions.Split(shards), at once or
	// one after another; it returns the wall time, the slowest range's
	// time and the merged report.
	rcn := func(mode ReconcileMode, shards int, atOnce bool) (float64, float64, *ReconcileReport, error) {
		start := time.Now()
		total := &ReconcileReport{Unbalanced: []string{}, LockFailed: []string{}}
		var mu sync.Mutex
		var wg sync.WaitGroup
		var first error
		var slowest float64
		one := func(r PartitionRange) {
			t := time.Now()
			rep, err := m.Reconcile(ctx, ReconcileOptions{Partitions: &r, Concurrency: opts.Concurrency, Mode: mode})
			sec := time.Since(t).Seconds()
			mu.Lock()
			defer mu.Unlock()
			slowest = max(slowest, sec)
			if err != nil && first == nil {
				first = err
			}
			if rep != nil {
				total.Merge(rep)
			}
		}
		for _, r := range AllPartitions.Split(shards) {
			if !atOnce {
				one(r)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				one(r)
			}()
		}
		wg.Wait()
		sec := time.Since(start).Seconds()
		if first == nil && (!total.OK() || total.Checked != opts.Accounts) {
			first = fmt.Errorf("%s reconciliation over %d ranges: %s (%d of %d accounts checked)", mode, shards, total.Verdict(), total.Checked, opts.Accounts)
		}
		return sec, slowest, total, first
	}
	sec, _, rep, err := rcn(ReconcileScanFirst, 1, true)
	if err != nil {
		return res, err
	}
	res.ScanSec, res.ScanProved = sec, rep.Proved
	res.ScanAccPerSec = float64(rep.Checked) / sec
	res.ScanOverRaw = res.ScanAccPerSec / res.RawScanRecPerSec
	if !opts.SkipExact {
		sec, _, rep, err := rcn(ReconcileExact, 1, true)
		if err != nil {
			return res, err
		}
		res.ExactSec = sec
		res.ExactAccPerSec = float64(rep.Checked) / sec
		res.ScanOverExact = res.ScanAccPerSec / res.ExactAccPerSec
	}
	for _, n := range opts.Shards {
		sec, _, rep, err := rcn(ReconcileScanFirst, n, true)
		if err != nil {
			return res, err
		}
		seq, slowest, _, err := rcn(ReconcileScanFirst, n, false)
		if err != nil {
			return res, err
		}
		res.Shards = append(res.Shards, ReconcileShardRun{Shards: n, Sec: sec, AccPerSec: float64(rep.Checked) / sec,
			SeqSec: seq, MaxRangeSec: slowest, Proved: rep.Proved})
	}
	return res, nil
}

// BuildReconcileDataset writes accounts "rb<i>" (i < accounts), each with
// perAccount single-leg logs as runs leave them (every eighth aborted,
// the others committed, with apid) and the balance of its committed
// amounts, in batches; it creates the log index first.
func (m *Manager) BuildReconcileDataset(ctx context.Context, accounts, perAccount int) error {
	if err := m.EnsureIndex(ctx); err != nil {
		return err
	}
	const perBatch = 100 // accounts per batch
	wp := as.NewBatchWritePolicy()
	wp.SendKey = true
	bp := m.cfg.batchPolicy()
	bp.TotalTimeout, bp.SocketTimeout = 10*m.cfg.Timeout, 10*m.cfg.Timeout
	now := m.cfg.Clock.Now().UnixMilli()
	batch := func(lo, hi int) error {
		var recs []as.BatchRecordIfc
		for i := lo; i < hi; i++ {
			u := fmt.Sprintf("rb%d", i)
			var bal int64
			for j := 0; j < perAccount; j++ {
				tx := fmt.Sprintf("b%d-%d", i, j)
				amt := int64((i*7+j*13)%100 + 1)
				st := StatusCommitted
				if j%8 == 7 {
					st = StatusAborted
				} else {
					bal += amt
				}
				k, err := m.logKey(u, tx)
				if err != nil {
					return err
				}
				recs = append(recs, as.NewBatchWrite(wp, k, putOps(as.BinMap{
					LogTxnID: tx, LogUKey: u, LogAmount: amt, LogStatus: string(st), LogPrimary: u,
					LogTime: now, LogSet: m.cfg.Set, LogRun: "bench", LogAccountPartition: m.accountPartition(u),
				})...))
			}
			k, err := as.NewKey(m.cfg.Namespace, m.cfg.Set, u)
			if err != nil {
				return err
			}
			recs = append(recs, as.NewBatchWrite(wp, k, putOps(as.BinMap{BinName: u, BinBalance: bal})...))
		}
		if err := m.client.BatchOperate(bp, recs); err != nil {
			return err
		}
		for _, r := range recs {
			if br := r.BatchRec(); br.ResultCode != types.OK {
				return fmt.Errorf("write %v: %v", br.Key, br.Err)
			}
		}
		return nil
	}
	work := make(chan int)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range work {
				if err := batch(lo, min(lo+perBatch, accounts)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
loop:
	for lo := 0; lo < accounts; lo += perBatch {
		select {
		case work <- lo:
		case err = <-errs:
			break loop
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		}
	}
	close(work)
	go func() { wg.Wait(); close(errs) }()
	for e := range errs {
		if err == nil {
			err = e
		}
	}
	if err != nil {
		return fmt.Errorf("build reconcile dataset: %w", err)
	}
	return nil
}
