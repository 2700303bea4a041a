package lock

import (
	"fmt"
	"strings"
)

// Entry formats the pending entry "<ukey>:<txnid>" kept in ptxns. The
// prototype split it at the first ':' and so broke on ukeys containing one;
// txnids may not contain ':', so splitting at the last one is unambiguous.
func Entry(ukey, txnid string) string { return ukey + ":" + txnid }

// ParseEntry splits a pending entry into its ukey and txnid.
func ParseEntry(e string) (ukey, txnid string, err error) {
	i := strings.LastIndexByte(e, ':')
	if i < 0 || i == len(e)-1 {
		return "", "", fmt.Errorf("malformed pending entry %q", e)
	}
	return e[:i], e[i+1:], nil
}

// ValidateTxnID rejects transaction ids that would make entries ambiguous.
func ValidateTxnID(txnid string) error {
	if txnid == "" {
		return fmt.Errorf("empty transaction id")
	}
	if strings.ContainsRune(txnid, ':') {
		return fmt.Errorf("transaction id %q contains ':'", txnid)
	}
	return nil
}
