package txn

import (
	"context"
	"fmt"
	"sync"

	as "github.com/aerospike/aerospike-client-go/v7"
)

// scan streams the records of set in a partition range that match filter
// (nil: all), calling fn with each.
func (m *Manager) scan(ctx context.Context, set string, r PartitionRange, filter *as.Expression, bins []string, fn func(rec *as.Record) error) error {
	if err := r.Validate(); err != nil {
		return err
	}
	qp := as.NewQueryPolicy()
	qp.FilterExpression = filter
	qp.TotalTimeout = 0
	qp.SocketTimeout = m.cfg.Timeout * 5
	qp.MaxRetries = 5
	stmt := as.NewStatement(m.cfg.Namespace, set, bins...)
	rs, err := m.client.QueryPartitions(qp, stmt, as.NewPartitionFilterByRange(r.Begin, r.Count))
	if err != nil {
		return fmt.Errorf("scan %s %s: %w", set, r, err)
	}
	defer rs.Close()
	for res := range rs.Results() {
		if res.Err != nil {
			return fmt.Errorf("scan %s %s: %w", set, r, res.Err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(res.Record); err != nil {
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

// scanConcurrently calls fn for every record of set in r matching filter,
// from workers goroutines (fn guards what it shares). It returns once
// every call has returned.
func (m *Manager) scanConcurrently(ctx context.Context, set string, r PartitionRange, filter *as.Expression, bins []string, workers int, fn func(rec *as.Record)) error {
	work := make(chan *as.Record)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range work {
				fn(rec)
			}
		}()
	}
	err := m.scan(ctx, set, r, filter, bins, func(rec *as.Record) error {
		select {
		case work <- rec:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(work)
	wg.Wait()
	return err
}

// eachAccountConcurrently calls fn for the ukey of every account of r
// matching filter, from workers goroutines.
func (m *Manager) eachAccountConcurrently(ctx context.Context, r PartitionRange, filter *as.Expression, workers int, fn func(ukey string)) error {
	return m.scanConcurrently(ctx, m.cfg.Set, r, filter, []string{BinName}, workers, func(rec *as.Record) {
		fn(accountUKey(rec))
	})
}
