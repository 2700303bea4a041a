package aerolite

// ResultCode is an Aerospike server result code (as_proto result codes).
type ResultCode byte

// Result codes aerolite answers with.
const (
	rcOK                 ResultCode = 0
	rcServerError        ResultCode = 1
	rcKeyNotFound        ResultCode = 2
	rcGenerationError    ResultCode = 3
	rcParameterError     ResultCode = 4
	rcKeyExists          ResultCode = 5
	rcBinExists          ResultCode = 6
	rcClusterKeyMismatch ResultCode = 7
	rcServerMemError     ResultCode = 8
	rcTimeout            ResultCode = 9
	rcNoXDS              ResultCode = 10
	rcServerNotAvailable ResultCode = 11
	rcBinTypeError       ResultCode = 12
	rcRecordTooBig       ResultCode = 13
	rcKeyBusy            ResultCode = 14
	rcScanAbort          ResultCode = 15
	rcUnsupportedFeature ResultCode = 16
	rcBinNotFound        ResultCode = 17
	rcDeviceOverload     ResultCode = 18
	rcKeyMismatch        ResultCode = 19
	rcInvalidNamespace   ResultCode = 20
	rcBinNameTooLong     ResultCode = 21
	rcFailForbidden      ResultCode = 22
	rcElementNotFound    ResultCode = 23
	rcElementExists      ResultCode = 24
	rcEnterpriseOnly     ResultCode = 25
	rcOpNotApplicable    ResultCode = 26
	rcFilteredOut        ResultCode = 27
	rcLostConflict       ResultCode = 28
	rcQueryEnd           ResultCode = 50
	rcIndexFound         ResultCode = 200
	rcIndexNotFound      ResultCode = 201
	rcIndexOOM           ResultCode = 202
	rcIndexNotReadable   ResultCode = 203
	rcIndexGeneric       ResultCode = 204
	rcIndexNameMaxLen    ResultCode = 205
	rcIndexMaxCount      ResultCode = 206
	rcQueryAborted       ResultCode = 210
	rcQueryQueueFull     ResultCode = 211
	rcQueryTimeout       ResultCode = 212
	rcQueryGeneric       ResultCode = 213
)
