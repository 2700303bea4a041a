package aerolite

import "github.com/mxnlabs/mxn/pkg/aerolite/internal/wire"

// ResultCode is an Aerospike server result code (as_proto result codes).
// The values are the server's, so they equal the client's types.ResultCode
// of the same name (KeyNotFound == types.KEY_NOT_FOUND_ERROR, ...): use them
// for FaultConfig.FailCode and to compare with a client error's code.
// String returns the client's name of the code (KEY_NOT_FOUND_ERROR), or the
// number for a code aerolite does not name.
type ResultCode = wire.ResultCode

// Result codes aerolite answers with (names after the client's constants).
const (
	OK                   = wire.OK                   // OK
	ServerError          = wire.ServerError          // SERVER_ERROR
	KeyNotFound          = wire.KeyNotFound          // KEY_NOT_FOUND_ERROR
	GenerationError      = wire.GenerationError      // GENERATION_ERROR
	ParameterError       = wire.ParameterError       // PARAMETER_ERROR
	KeyExists            = wire.KeyExists            // KEY_EXISTS_ERROR
	BinExists            = wire.BinExists            // BIN_EXISTS_ERROR
	ClusterKeyMismatch   = wire.ClusterKeyMismatch   // CLUSTER_KEY_MISMATCH
	ServerMemError       = wire.ServerMemError       // SERVER_MEM_ERROR
	Timeout              = wire.Timeout              // TIMEOUT
	AlwaysForbidden      = wire.AlwaysForbidden      // ALWAYS_FORBIDDEN (formerly NO_XDS)
	PartitionUnavailable = wire.PartitionUnavailable // PARTITION_UNAVAILABLE (formerly SERVER_NOT_AVAILABLE)
	BinTypeError         = wire.BinTypeError         // BIN_TYPE_ERROR
	RecordTooBig         = wire.RecordTooBig         // RECORD_TOO_BIG
	KeyBusy              = wire.KeyBusy              // KEY_BUSY
	ScanAbort            = wire.ScanAbort            // SCAN_ABORT
	UnsupportedFeature   = wire.UnsupportedFeature   // UNSUPPORTED_FEATURE
	BinNotFound          = wire.BinNotFound          // BIN_NOT_FOUND
	DeviceOverload       = wire.DeviceOverload       // DEVICE_OVERLOAD
	KeyMismatch          = wire.KeyMismatch          // KEY_MISMATCH
	InvalidNamespace     = wire.InvalidNamespace     // INVALID_NAMESPACE
	BinNameTooLong       = wire.BinNameTooLong       // BIN_NAME_TOO_LONG
	FailForbidden        = wire.FailForbidden        // FAIL_FORBIDDEN
	ElementNotFound      = wire.ElementNotFound      // FAIL_ELEMENT_NOT_FOUND
	ElementExists        = wire.ElementExists        // FAIL_ELEMENT_EXISTS
	EnterpriseOnly       = wire.EnterpriseOnly       // ENTERPRISE_ONLY
	OpNotApplicable      = wire.OpNotApplicable      // OP_NOT_APPLICABLE
	FilteredOut          = wire.FilteredOut          // FILTERED_OUT
	LostConflict         = wire.LostConflict         // LOST_CONFLICT
	QueryEnd             = wire.QueryEnd             // QUERY_END
	SecurityNotSupported = wire.SecurityNotSupported // SECURITY_NOT_SUPPORTED
	SecurityNotEnabled   = wire.SecurityNotEnabled   // SECURITY_NOT_ENABLED
	InvalidUser          = wire.InvalidUser          // INVALID_USER
	InvalidPassword      = wire.InvalidPassword      // INVALID_PASSWORD
	InvalidCredential    = wire.InvalidCredential    // INVALID_CREDENTIAL
	ExpiredSession       = wire.ExpiredSession       // EXPIRED_SESSION
	NotAuthenticated     = wire.NotAuthenticated     // NOT_AUTHENTICATED
	IndexFound           = wire.IndexFound           // INDEX_FOUND
	IndexNotFound        = wire.IndexNotFound        // INDEX_NOTFOUND
	IndexOOM             = wire.IndexOOM             // INDEX_OOM
	IndexNotReadable     = wire.IndexNotReadable     // INDEX_NOTREADABLE
	IndexGeneric         = wire.IndexGeneric         // INDEX_GENERIC
	IndexNameMaxLen      = wire.IndexNameMaxLen      // INDEX_NAME_MAXLEN
	IndexMaxCount        = wire.IndexMaxCount        // INDEX_MAXCOUNT
	QueryAborted         = wire.QueryAborted         // QUERY_ABORTED
	QueryQueueFull       = wire.QueryQueueFull       // QUERY_QUEUEFULL
	QueryTimeout         = wire.QueryTimeout         // QUERY_TIMEOUT
	QueryGeneric         = wire.QueryGeneric         // QUERY_GENERIC
)

// The package's own short names for the codes.
const (
	rcOK                 = OK
	rcServerError        = ServerError
	rcKeyNotFound        = KeyNotFound
	rcGenerationError    = GenerationError
	rcParameterError     = ParameterError
	rcKeyExists          = KeyExists
	rcBinExists          = BinExists
	rcClusterKeyMismatch = ClusterKeyMismatch
	rcServerMemError     = ServerMemError
	rcTimeout            = Timeout
	rcNoXDS              = AlwaysForbidden
	rcServerNotAvailable = PartitionUnavailable
	rcBinTypeError       = BinTypeError
	rcRecordTooBig       = RecordTooBig
	rcKeyBusy            = KeyBusy
	rcScanAbort          = ScanAbort
	rcUnsupportedFeature = UnsupportedFeature
	rcBinNotFound        = BinNotFound
	rcDeviceOverload     = DeviceOverload
	rcKeyMismatch        = KeyMismatch
	rcInvalidNamespace   = InvalidNamespace
	rcBinNameTooLong     = BinNameTooLong
	rcFailForbidden      = FailForbidden
	rcElementNotFound    = ElementNotFound
	rcElementExists      = ElementExists
	rcEnterpriseOnly     = EnterpriseOnly
	rcOpNotApplicable    = OpNotApplicable
	rcFilteredOut        = FilteredOut
	rcLostConflict       = LostConflict
	rcQueryEnd           = QueryEnd
	rcIndexFound         = IndexFound
	rcIndexNotFound      = IndexNotFound
	rcIndexOOM           = IndexOOM
	rcIndexNotReadable   = IndexNotReadable
	rcIndexGeneric       = IndexGeneric
	rcIndexNameMaxLen    = IndexNameMaxLen
	rcIndexMaxCount      = IndexMaxCount
	rcQueryAborted       = QueryAborted
	rcQueryQueueFull     = QueryQueueFull
	rcQueryTimeout       = QueryTimeout
	rcQueryGeneric       = QueryGeneric
)
