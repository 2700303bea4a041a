package v1alpha1

// ReconcileResult is what a reconciliation found, summed over its shards.
type ReconcileResult struct {
	AccountsChecked int64 `json:"accountsChecked"`
	Balanced        int64 `json:"balanced"`
	Drifted         int64 `json:"drifted"`
	LockFailed      int64 `json:"lockFailed"`
	// TotalDrift is the sum over drifted accounts of |balance - logged|.
	TotalDrift   int64 `json:"totalDrift"`
	TotalBalance int64 `json:"totalBalance"`
	TotalLogged  int64 `json:"totalLogged"`
	// PendingAmount is the amount of transactions still pending.
	PendingAmount int64 `json:"pendingAmount"`
	// NonFinalLogs: logs still pending when they were read.
	NonFinalLogs int64 `json:"nonFinalLogs"`
	// Conserved: the total balance equals the committed log total.
	Conserved bool `json:"conserved"`
	// DriftedAccounts is a bounded sample of the drifted accounts.
	// +optional
	// +listType=atomic
	DriftedAccounts []DriftedAccount `json:"driftedAccounts,omitempty"`
}

// DriftedAccount is an account whose balance is not the sum of its
// committed logs.
type DriftedAccount struct {
	UKey    string `json:"ukey"`
	Balance int64  `json:"balance"`
	Logged  int64  `json:"logged"`
	Pending int64  `json:"pending"`
	Drift   int64  `json:"drift"`
}

// CleanupResult is what a cleanup did, summed over its shards and rounds.
type CleanupResult struct {
	Accounts            int64 `json:"accounts"`
	RolledForward       int64 `json:"rolledForward"`
	RolledBack          int64 `json:"rolledBack"`
	Undecided           int64 `json:"undecided"`
	Busy                int64 `json:"busy"`
	StaleLocks          int64 `json:"staleLocks"`
	LogsFinalized       int64 `json:"logsFinalized"`
	AmountRolledForward int64 `json:"amountRolledForward"`
	Errors              int64 `json:"errors"`
}
