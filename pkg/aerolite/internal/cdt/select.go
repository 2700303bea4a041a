package cdt

import (
	"math"
	"sort"

	"github.com/mxnlabs/mxn/pkg/aerolite/internal/value"
	"github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"
)

//----------------------------------------------------------------------------
// Index arithmetic (calc_index, calc_index_count, calc_rel_index_count).

// cdtSingleIndex resolves a possibly negative index of a single element.
func cdtSingleIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// cdtRange resolves index/count of a multi-element range: the range is
// clipped to the list, and a negative start that reaches before the list
// shortens the count accordingly.
func cdtRange(index, count int64, n int) (start, cnt int) {
	n64 := int64(n)
	if index >= n64 {
		return n, 0
	}
	if index < 0 {
		index += n64
	}
	if index < 0 {
		// Only the part of [index, index+count) inside the list counts.
		// (count >= 0 > index: the sum cannot overflow, -index could.)
		if count+index <= 0 {
			return 0, 0
		}
		return 0, int(min(count+index, n64))
	}
	return int(index), int(min(count, n64-index))
}

// cdtRelRange shifts index/count by a relative position (rel rank/index ops).
func cdtRelRange(index, count int64, rel int) (int64, int64) {
	if index > math.MaxInt64-int64(rel) {
		index = math.MaxInt64
	} else {
		index += int64(rel)
	}
	if index < 0 {
		count = max(count+index, 0) // count >= 0 > index: no overflow
		index = 0
	}
	return index, count
}

//----------------------------------------------------------------------------
// Selections and results, shared by list and map get/remove operations.

// cdtView is a read-only view of a list's or map's elements by position
// (list index, or map index in key order).
type cdtView struct {
	isMap   bool
	ordered bool // list ORDERED, or map key-ordered
	// valueIndexed is set for a key-value ordered map stored in a bin: the
	// server keeps a value index for those (not for nested maps) and walks
	// it, in rank order, for value selections.
	valueIndexed bool
	keys         []any
	vals         []any
	byRank       []int // positions in rank order, computed on demand
	rank         []int // rank of each position
}

func cdtNewListView(l *value.List) *cdtView {
	return &cdtView{ordered: l.Ordered, vals: l.Items}
}

func cdtNewMapView(m *value.Map, top bool) *cdtView {
	v := &cdtView{
		isMap:        true,
		ordered:      m.Order&value.MapKeyOrdered != 0,
		valueIndexed: top && m.Order&value.MapKeyValueOrdered == value.MapKeyValueOrdered,
		keys:         make([]any, len(m.Entries)),
		vals:         make([]any, len(m.Entries)),
	}
	for i, e := range m.Entries {
		v.keys[i], v.vals[i] = e.Key, e.Value
	}
	return v
}

func (v *cdtView) n() int { return len(v.vals) }

// less orders positions by value; map entries with equal values by key.
func (v *cdtView) less(i, j int) bool {
	c := value.Compare(v.vals[i], v.vals[j])
	if c == 0 && v.isMap {
		c = value.Compare(v.keys[i], v.keys[j])
	}
	return c < 0
}

// rankOrder returns the positions in rank order (ties in position order).
func (v *cdtView) rankOrder() []int {
	if v.byRank == nil {
		v.byRank = make([]int, v.n())
		for i := range v.byRank {
			v.byRank[i] = i
		}
		sort.SliceStable(v.byRank, func(a, b int) bool { return v.less(v.byRank[a], v.byRank[b]) })
		v.rank = make([]int, v.n())
		for r, p := range v.byRank {
			v.rank[p] = r
		}
	}
	return v.byRank
}

// rankOf is the rank the server reports for the element at position p on
// its own: the number of elements ordered before it. Equal list values
// share a rank (map entries never tie: keys break ties).
func (v *cdtView) rankOf(p int) int {
	if v.isMap {
		v.rankOrder()
		return v.rank[p]
	}
	r := 0
	for i := range v.vals {
		if value.Compare(v.vals[i], v.vals[p]) < 0 {
			r++
		}
	}
	return r
}

// countLess counts the elements (map values, or keys when byKey) ordered
// before x.
func (v *cdtView) countLess(x any, byKey bool) int {
	src := v.vals
	if byKey {
		src = v.keys
	}
	r := 0
	for _, y := range src {
		if cdtCompare(y, x) < 0 {
			r++
		}
	}
	return r
}

// cdtSel is the set of elements an operation selected, with how the server
// reports them.
type cdtSel struct {
	multi bool
	// pos lists the selected positions in the order elements (values, keys,
	// pairs) are reported.
	pos []int
	// idxOrder, if set, is the order INDEX results are reported in;
	// otherwise indexes are reported ascending.
	idxOrder []int
	// rankAsc reports RANK results as the sorted ranks of the selection
	// (selections by value or rank); otherwise each element's rank in pos
	// order (selections by index or key).
	rankAsc bool
	// invRankAsc is rankAsc once inverted.
	invRankAsc bool
	noRank     bool // RANK results not supported (key lists)
	// idxRange / rankRange are [start, count] for the *_RANGE result types,
	// nil where the server refuses them.
	idxRange  []int
	rankRange []int
}

// invert replaces the selection by its complement, in position order.
func (s *cdtSel) invert(n int) {
	in := make([]bool, n)
	for _, p := range s.pos {
		in[p] = true
	}
	s.pos = s.pos[:0:0]
	for i := 0; i < n; i++ {
		if !in[i] {
			s.pos = append(s.pos, i)
		}
	}
	s.idxOrder = nil
	s.rankAsc = s.invRankAsc
	s.idxRange, s.rankRange = nil, nil
}

func cdtSeq(start, cnt int) []int {
	s := make([]int, cnt)
	for i := range s {
		s[i] = start + i
	}
	return s
}

// selIndexRange selects by index (single) or index range (multi).
func (v *cdtView) selIndexRange(index, count int64, multi bool) (*cdtSel, wire.ResultCode) {
	// Inverted index ranges report each element's rank in index order.
	s := &cdtSel{multi: multi}
	var start, cnt int
	if multi {
		start, cnt = cdtRange(index, count, v.n())
	} else {
		p, ok := cdtSingleIndex(index, v.n())
		if !ok {
			return nil, wire.OpNotApplicable
		}
		start, cnt = p, 1
	}
	s.pos = cdtSeq(start, cnt)
	s.idxRange = []int{start, cnt}
	if v.ordered && !v.isMap {
		s.rankRange = []int{start, cnt}
	}
	return s, wire.OK
}

// selRankRange selects by rank (single) or rank range (multi).
func (v *cdtView) selRankRange(rank, count int64, multi bool) (*cdtSel, wire.ResultCode) {
	if v.ordered && !v.isMap {
		return v.selIndexRange(rank, count, multi) // rank == index
	}
	s := &cdtSel{multi: multi, rankAsc: true, invRankAsc: true}
	var start, cnt int
	if multi {
		start, cnt = cdtRange(rank, count, v.n())
	} else {
		p, ok := cdtSingleIndex(rank, v.n())
		if !ok {
			return nil, wire.OpNotApplicable
		}
		start, cnt = p, 1
	}
	s.pos = append([]int(nil), v.rankOrder()[start:start+cnt]...)
	if v.isMap {
		s.idxOrder = s.pos // maps report the indexes in rank order
	}
	s.rankRange = []int{start, cnt}
	return s, wire.OK
}

// selValueInterval selects values in [start, end), or >= start without end;
// a single-value selection when single is set (end is then ignored).
func (v *cdtView) selValueInterval(start, end any, hasEnd, single, multi bool) *cdtSel {
	s := &cdtSel{multi: multi, rankAsc: true, invRankAsc: true}
	rank := v.countLess(start, false)
	empty := !single && hasEnd && cdtCompare(start, end) >= 0
	for i, x := range v.vals {
		if empty {
			break
		}
		if single {
			if cdtCompare(x, start) != 0 {
				continue
			}
		} else if cdtCompare(x, start) < 0 || (hasEnd && cdtCompare(x, end) >= 0) {
			continue
		}
		s.pos = append(s.pos, i)
		if !multi {
			break
		}
	}
	if v.valueIndexed {
		sort.SliceStable(s.pos, func(a, b int) bool { return v.less(s.pos[a], s.pos[b]) })
		s.idxOrder = s.pos
	}
	s.rankRange = []int{rank, len(s.pos)}
	if v.ordered && !v.isMap {
		s.idxRange = []int{rank, len(s.pos)}
	}
	return s
}

// selValueList selects the elements equal to any of values.
func (v *cdtView) selValueList(values []any) *cdtSel {
	s := &cdtSel{multi: true, rankAsc: true, invRankAsc: true}
	for i, x := range v.vals {
		for _, w := range values {
			if cdtCompare(x, w) == 0 {
				s.pos = append(s.pos, i)
				break
			}
		}
	}
	return s
}

// selValueRelRankRange selects by rank relative to value's rank.
func (v *cdtView) selValueRelRankRange(val any, rank, count int64) (*cdtSel, wire.ResultCode) {
	r, c := cdtRelRange(rank, count, v.countLess(val, false))
	return v.selRankRange(r, c, true)
}

// selKeyInterval selects map keys in [start, end), or >= start without end;
// a single key when single is set.
func (v *cdtView) selKeyInterval(start, end any, hasEnd, single bool) *cdtSel {
	s := &cdtSel{multi: !single}
	index := v.countLess(start, true)
	for i, k := range v.keys {
		if single {
			if cdtCompare(k, start) == 0 {
				s.pos = append(s.pos, i)
				break
			}
			continue
		}
		if cdtCompare(k, start) >= 0 && (!hasEnd || cdtCompare(k, end) < 0) {
			s.pos = append(s.pos, i)
		}
	}
	s.idxRange = []int{index, len(s.pos)}
	return s
}

// selKeyList selects the entries whose key is in keys.
func (v *cdtView) selKeyList(keys []any) *cdtSel {
	s := &cdtSel{multi: true, noRank: true}
	seen := make([]bool, v.n())
	var order []int
	for _, k := range keys {
		for i, x := range v.keys {
			if !seen[i] && cdtCompare(x, k) == 0 {
				seen[i] = true
				order = append(order, i)
			}
		}
	}
	for i, ok := range seen {
		if ok {
			s.pos = append(s.pos, i)
		}
	}
	if v.ordered {
		// A key-ordered map reports indexes in the order keys were asked.
		s.idxOrder = order
	}
	return s
}

// selKeyRelIndexRange selects by index relative to key's index.
func (v *cdtView) selKeyRelIndexRange(key any, index, count int64) (*cdtSel, wire.ResultCode) {
	i, c := cdtRelRange(index, count, v.countLess(key, true))
	return v.selIndexRange(i, c, true)
}

// finish applies the INVERTED flag of rt and builds the result.
func (v *cdtView) finish(s *cdtSel, rt int64) (any, bool, wire.ResultCode) {
	if rt&cdtRtInverted != 0 {
		if !s.multi {
			return nil, false, wire.OpNotApplicable
		}
		s.invert(v.n())
	}
	return v.result(s, rt&cdtRtMask)
}

func cdtInts(xs []int, f func(int) int) *value.List {
	l := &value.List{Items: make([]any, len(xs))}
	for i, x := range xs {
		l.Items[i] = int64(f(x))
	}
	return l
}

// result builds the result of type t for selection s.
func (v *cdtView) result(s *cdtSel, t int64) (any, bool, wire.ResultCode) {
	n := v.n()
	rev := func(x int) int { return n - 1 - x }
	same := func(x int) int { return x }
	switch t {
	case cdtRtNone:
		return nil, false, wire.OK
	case cdtRtCount:
		return int64(len(s.pos)), true, wire.OK
	case cdtRtExists:
		return len(s.pos) > 0, true, wire.OK
	case cdtRtIndex, cdtRtRevIndex:
		order := s.idxOrder
		if order == nil {
			order = append([]int(nil), s.pos...)
			sort.Ints(order)
		}
		f := same
		if t == cdtRtRevIndex {
			f = rev
		}
		if !s.multi {
			if len(order) == 0 {
				return int64(-1), true, wire.OK
			}
			return int64(f(order[0])), true, wire.OK
		}
		return cdtInts(order, f), true, wire.OK
	case cdtRtRank, cdtRtRevRank:
		if s.noRank {
			return nil, false, wire.OpNotApplicable
		}
		ranks := make([]int, len(s.pos))
		for i, p := range s.pos {
			if s.rankAsc {
				v.rankOrder()
				ranks[i] = v.rank[p]
			} else {
				ranks[i] = v.rankOf(p)
			}
		}
		if s.rankAsc {
			sort.Ints(ranks)
		}
		f := same
		if t == cdtRtRevRank {
			f = rev
		}
		if !s.multi {
			if len(ranks) == 0 {
				return int64(-1), true, wire.OK
			}
			return int64(f(ranks[0])), true, wire.OK
		}
		return cdtInts(ranks, f), true, wire.OK
	case cdtRtKey, cdtRtValue:
		if t == cdtRtKey && !v.isMap {
			return nil, false, wire.OpNotApplicable
		}
		src := v.vals
		if t == cdtRtKey {
			src = v.keys
		}
		if !s.multi {
			if len(s.pos) == 0 {
				return nil, false, wire.OK
			}
			return src[s.pos[0]], true, wire.OK
		}
		l := &value.List{Items: make([]any, len(s.pos))}
		for i, p := range s.pos {
			l.Items[i] = src[p]
		}
		return l, true, wire.OK
	case cdtRtKeyValue, cdtRtUnorderedMap, cdtRtOrderedMap:
		if !v.isMap {
			return nil, false, wire.OpNotApplicable
		}
		pos := s.pos
		order := cdtMapPreserveOrder
		switch t {
		case cdtRtUnorderedMap:
			order = value.MapUnordered
		case cdtRtOrderedMap:
			order = value.MapKeyOrdered
			pos = append([]int(nil), pos...)
			sort.Ints(pos) // positions are in key order
		}
		m := &value.Map{Order: order, Entries: make([]value.MapEntry, len(pos))}
		for i, p := range pos {
			m.Entries[i] = value.MapEntry{Key: v.keys[p], Value: v.vals[p]}
		}
		return m, true, wire.OK
	case cdtRtIndexRange, cdtRtRevIndexRange, cdtRtRankRange, cdtRtRevRankRange:
		r := s.idxRange
		if t == cdtRtRankRange || t == cdtRtRevRankRange {
			r = s.rankRange
		}
		if r == nil {
			return nil, false, wire.OpNotApplicable
		}
		start := r[0]
		if t == cdtRtRevIndexRange || t == cdtRtRevRankRange {
			start = n - r[0] - r[1]
		}
		return &value.List{Items: []any{int64(start), int64(r[1])}}, true, wire.OK
	}
	return nil, false, wire.OpNotApplicable
}

// cdtRemovePositions returns items without the given positions.
func cdtRemovePositions[T any](items []T, pos []int) []T {
	drop := make(map[int]bool, len(pos))
	for _, p := range pos {
		drop[p] = true
	}
	out := make([]T, 0, len(items)-len(drop))
	for i, it := range items {
		if !drop[i] {
			out = append(out, it)
		}
	}
	return out
}
