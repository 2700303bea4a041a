package wire

import "strconv"

// ResultCode is an Aerospike server result code (as_proto result codes).
// The values are the server's, so they equal the client's types.ResultCode
// of the same name (KeyNotFound == types.KEY_NOT_FOUND_ERROR, ...). Package
// aerolite exports it as aerolite.ResultCode.
type ResultCode byte

// Result codes aerolite answers with (names after the client's constants).
const (
	OK                   ResultCode = 0   // OK
	ServerError          ResultCode = 1   // SERVER_ERROR
	KeyNotFound          ResultCode = 2   // KEY_NOT_FOUND_ERROR
	GenerationError      ResultCode = 3   // GENERATION_ERROR
	ParameterError       ResultCode = 4   // PARAMETER_ERROR
	KeyExists            ResultCode = 5   // KEY_EXISTS_ERROR
	BinExists            ResultCode = 6   // BIN_EXISTS_ERROR
	ClusterKeyMismatch   ResultCode = 7   // CLUSTER_KEY_MISMATCH
	ServerMemError       ResultCode = 8   // SERVER_MEM_ERROR
	Timeout              ResultCode = 9   // TIMEOUT
	AlwaysForbidden      ResultCode = 10  // ALWAYS_FORBIDDEN (formerly NO_XDS)
	PartitionUnavailable ResultCode = 11  // PARTITION_UNAVAILABLE (formerly SERVER_NOT_AVAILABLE)
	BinTypeError         ResultCode = 12  // BIN_TYPE_ERROR
	RecordTooBig         ResultCode = 13  // RECORD_TOO_BIG
	KeyBusy              ResultCode = 14  // KEY_BUSY
	ScanAbort            ResultCode = 15  // SCAN_ABORT
	UnsupportedFeature   ResultCode = 16  // UNSUPPORTED_FEATURE
	BinNotFound          ResultCode = 17  // BIN_NOT_FOUND
	DeviceOverload       ResultCode = 18  // DEVICE_OVERLOAD
	KeyMismatch          ResultCode = 19  // KEY_MISMATCH
	InvalidNamespace     ResultCode = 20  // INVALID_NAMESPACE
	BinNameTooLong       ResultCode = 21  // BIN_NAME_TOO_LONG
	FailForbidden        ResultCode = 22  // FAIL_FORBIDDEN
	ElementNotFound      ResultCode = 23  // FAIL_ELEMENT_NOT_FOUND
	ElementExists        ResultCode = 24  // FAIL_ELEMENT_EXISTS
	EnterpriseOnly       ResultCode = 25  // ENTERPRISE_ONLY
	OpNotApplicable      ResultCode = 26  // OP_NOT_APPLICABLE
	FilteredOut          ResultCode = 27  // FILTERED_OUT
	LostConflict         ResultCode = 28  // LOST_CONFLICT
	QueryEnd             ResultCode = 50  // QUERY_END
	SecurityNotSupported ResultCode = 51  // SECURITY_NOT_SUPPORTED
	SecurityNotEnabled   ResultCode = 52  // SECURITY_NOT_ENABLED
	InvalidUser          ResultCode = 60  // INVALID_USER
	InvalidPassword      ResultCode = 62  // INVALID_PASSWORD
	InvalidCredential    ResultCode = 65  // INVALID_CREDENTIAL
	ExpiredSession       ResultCode = 66  // EXPIRED_SESSION
	NotAuthenticated     ResultCode = 80  // NOT_AUTHENTICATED
	IndexFound           ResultCode = 200 // INDEX_FOUND
	IndexNotFound        ResultCode = 201 // INDEX_NOTFOUND
	IndexOOM             ResultCode = 202 // INDEX_OOM
	IndexNotReadable     ResultCode = 203 // INDEX_NOTREADABLE
	IndexGeneric         ResultCode = 204 // INDEX_GENERIC
	IndexNameMaxLen      ResultCode = 205 // INDEX_NAME_MAXLEN
	IndexMaxCount        ResultCode = 206 // INDEX_MAXCOUNT
	QueryAborted         ResultCode = 210 // QUERY_ABORTED
	QueryQueueFull       ResultCode = 211 // QUERY_QUEUEFULL
	QueryTimeout         ResultCode = 212 // QUERY_TIMEOUT
	QueryGeneric         ResultCode = 213 // QUERY_GENERIC
)

var resultCodeNames = map[ResultCode]string{
	OK: "OK", ServerError: "SERVER_ERROR", KeyNotFound: "KEY_NOT_FOUND_ERROR",
	GenerationError: "GENERATION_ERROR", ParameterError: "PARAMETER_ERROR",
	KeyExists: "KEY_EXISTS_ERROR", BinExists: "BIN_EXISTS_ERROR",
	ClusterKeyMismatch: "CLUSTER_KEY_MISMATCH", ServerMemError: "SERVER_MEM_ERROR",
	Timeout: "TIMEOUT", AlwaysForbidden: "ALWAYS_FORBIDDEN",
	PartitionUnavailable: "PARTITION_UNAVAILABLE", BinTypeError: "BIN_TYPE_ERROR",
	RecordTooBig: "RECORD_TOO_BIG", KeyBusy: "KEY_BUSY", ScanAbort: "SCAN_ABORT",
	UnsupportedFeature: "UNSUPPORTED_FEATURE", BinNotFound: "BIN_NOT_FOUND",
	DeviceOverload: "DEVICE_OVERLOAD", KeyMismatch: "KEY_MISMATCH",
	InvalidNamespace: "INVALID_NAMESPACE", BinNameTooLong: "BIN_NAME_TOO_LONG",
	FailForbidden: "FAIL_FORBIDDEN", ElementNotFound: "FAIL_ELEMENT_NOT_FOUND",
	ElementExists: "FAIL_ELEMENT_EXISTS", EnterpriseOnly: "ENTERPRISE_ONLY",
	OpNotApplicable: "OP_NOT_APPLICABLE", FilteredOut: "FILTERED_OUT",
	LostConflict: "LOST_CONFLICT", QueryEnd: "QUERY_END",
	SecurityNotSupported: "SECURITY_NOT_SUPPORTED", SecurityNotEnabled: "SECURITY_NOT_ENABLED",
	InvalidUser: "INVALID_USER", InvalidPassword: "INVALID_PASSWORD",
	InvalidCredential: "INVALID_CREDENTIAL", ExpiredSession: "EXPIRED_SESSION",
	NotAuthenticated: "NOT_AUTHENTICATED", IndexFound: "INDEX_FOUND",
	IndexNotFound: "INDEX_NOTFOUND", IndexOOM: "INDEX_OOM",
	IndexNotReadable: "INDEX_NOTREADABLE", IndexGeneric: "INDEX_GENERIC",
	IndexNameMaxLen: "INDEX_NAME_MAXLEN", IndexMaxCount: "INDEX_MAXCOUNT",
	QueryAborted: "QUERY_ABORTED", QueryQueueFull: "QUERY_QUEUEFULL",
	QueryTimeout: "QUERY_TIMEOUT", QueryGeneric: "QUERY_GENERIC",
}

// String returns the client's name of the code (KEY_NOT_FOUND_ERROR), or
// the number for a code aerolite does not name.
func (rc ResultCode) String() string {
	if n, ok := resultCodeNames[rc]; ok {
		return n
	}
	return "RESULT_CODE_" + strconv.Itoa(int(rc))
}
