package txn

import (
	"context"
	"fmt"
	"sync"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// forEachAccount streams the accounts of a partition range that match
// filter (nil: all), calling fn with each account's ukey and bins.
func (m *Manager) forEachAccount(ctx context.Context, r PartitionRange, filter *as.Expression, bins []string, fn func(ukey string, rec *as.Record) error) error {
	if err := r.Validate(); err != nil {
		return err
	}
	qp := as.NewQueryPolicy()
	qp.FilterExpression = filter
	qp.TotalTimeout = 0
	qp.SocketTimeout = m.cfg.Timeout * 5
	qp.MaxRetries = 5
	stmt := as.NewStatement(m.cfg.Namespace, m.cfg.Set, bins...)
	rs, err := m.client.QueryPartitions(qp, stmt, as.NewPartitionFilterByRange(r.Begin, r.Count))
	if err != nil {
		return fmt.Errorf("scan accounts %s: %w", r, err)
	}
	defer rs.Close()
	for res := range rs.Results() {
		if res.Err != nil {
			return fmt.Errorf("scan accounts %s: %w", r, res.Err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(accountUKey(res.Record), res.Record); err != nil {
			return err
		}
	}
	return nil
}

// accountUKey is the account's user key (stored with SendKey), falling back
// to its name bin for records written without it.
func accountUKey(rec *as.Record) string {
	if rec.Key != nil && rec.Key.Value() != nil {
		if s, ok := rec.Key.Value().GetObject().(string); ok {
			return s
		}
	}
	s, _ := rec.Bins[BinName].(string)
	return s
}

// eachAccountConcurrently calls fn for every account of r matching filter,
// from several goroutines (fn guards what it shares). It returns once every
// call has returned.
func (m *Manager) eachAccountConcurrently(ctx context.Context, r PartitionRange, filter *as.Expression, workers int, fn func(ukey string)) error {
	work := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ukey := range work {
				fn(ukey)
			}
		}()
	}
	err := m.forEachAccount(ctx, r, filter, []string{BinName}, func(ukey string, _ *as.Record) error {
		select {
		case work <- ukey:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(work)
	wg.Wait()
	return err
}
