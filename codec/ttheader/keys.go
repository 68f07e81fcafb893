package ttheader

// Magic is the TTHeader magic number, found in bytes 4–5 of every frame.
const Magic = 0x1000

// INFO block identifiers of the variable header.
const (
	// InfoPadding is a single padding byte; the decoder skips it.
	InfoPadding = 0x00
	// InfoKeyValue starts a block of string key/value pairs:
	// u16 count, count × (u16 klen, key, u16 vlen, value).
	InfoKeyValue = 0x01
	// InfoIntKeyValue starts a block of integer-keyed pairs:
	// u16 count, count × (u16 key, u16 vlen, value).
	InfoIntKeyValue = 0x10
	// InfoACLToken starts an ACL token block: u16 len, token. The token is
	// exposed as the string key [KeyACLToken].
	InfoACLToken = 0x11
)

// PROTOCOL_ID values: what the payload after the header is. Kitex writes
// [ProtocolBinary] for everything, including Kitex Protobuf payloads.
const (
	// ProtocolBinary is Thrift binary (and, by Kitex convention, Kitex Protobuf).
	ProtocolBinary = 0x00
	// ProtocolCompact is Thrift compact. Kitex rejects it; Kite accepts it.
	ProtocolCompact = 0x02
	// ProtocolCompactV2 is "compact v2"; Kitex accepts the header but still
	// expects a binary or protobuf payload.
	ProtocolCompactV2 = 0x03
	// ProtocolProtobuf is Kitex Protobuf.
	ProtocolProtobuf = 0x04
	// ProtocolTTStreamThrift is a TTHeader Streaming frame carrying a bare
	// Thrift struct without a message header.
	ProtocolTTStreamThrift = 0x10
	// ProtocolTTStreamProtobuf is a TTHeader Streaming frame carrying a bare
	// protobuf message.
	ProtocolTTStreamProtobuf = 0x11
)

// FLAGS bits. Ordinary unary traffic uses 0, and servers reply with 0.
const (
	// FlagSupportOutOfOrder is set by multiplexing (netpollmux) clients.
	FlagSupportOutOfOrder = 0x0001
	// FlagStreaming is set on every TTHeader Streaming frame; servers use it
	// to detect streaming connections (see [IsStreaming]).
	FlagStreaming = 0x0002
	// FlagDuplexReverse is defined by Kitex but unused.
	FlagDuplexReverse = 0x0008
	// FlagSASL is defined by Kitex but unused.
	FlagSASL = 0x0010
)

// Integer keys of the [InfoIntKeyValue] block. They are untyped constants so
// they can be passed directly where a uint16 key is expected, as in
// h.Int(ttheader.ToMethod). All values are strings on the wire; numbers are
// written in decimal.
const (
	MeshVersion     = 0  // MeshVersion is the service mesh version (unused by Kitex).
	TransportType   = 1  // TransportType is "framed" or "unframed": how the payload is framed.
	LogID           = 2  // LogID is a request log id.
	FromService     = 3  // FromService is the caller's service name (written even when empty).
	FromCluster     = 4  // FromCluster is the caller's cluster.
	FromIDC         = 5  // FromIDC is the caller's data center.
	ToService       = 6  // ToService is the callee's service name.
	ToCluster       = 7  // ToCluster is the callee's cluster.
	ToIDC           = 8  // ToIDC is the callee's data center.
	ToMethod        = 9  // ToMethod is the method being called.
	Env             = 10 // Env is the environment tag.
	DestAddress     = 11 // DestAddress is the destination address.
	RPCTimeout      = 12 // RPCTimeout is the caller's RPC timeout in decimal milliseconds.
	ReadTimeout     = 13 // ReadTimeout is a read timeout (unused by Kitex).
	RingHashKey     = 14 // RingHashKey is a consistent-hash key.
	DDPTag          = 15 // DDPTag is a traffic tag (unused by Kitex).
	WithMeshHeader  = 16 // WithMeshHeader marks traffic that passed a mesh proxy.
	ConnectTimeout  = 17 // ConnectTimeout is the caller's connect timeout in decimal milliseconds.
	SpanContext     = 18 // SpanContext is a tracing span context.
	ShortConnection = 19 // ShortConnection marks short-lived connections.
	FromMethod      = 20 // FromMethod is the caller's method (written even when empty).
	StressTag       = 21 // StressTag marks load-test traffic.
	MsgType         = 22 // MsgType is the Thrift message type: "1" call, "2" reply, "3" exception, "4" oneway.
	HTTPContentType = 23 // HTTPContentType is an HTTP content type.
	RawRingHashKey  = 24 // RawRingHashKey is an unhashed consistent-hash key.
	LBType          = 25 // LBType is a load-balancer type.
	ClusterShardID  = 26 // ClusterShardID is a cluster shard id.
	FrameType       = 27 // FrameType is the TTHeader Streaming frame type: "1" meta, "2" header, "3" data, "4" trailer, "5" rst.
)

// String keys of the [InfoKeyValue] block.
const (
	// KeyIDLServiceName is the IDL service name, used for service lookup on
	// multi-service servers.
	KeyIDLServiceName = "isn"
	// KeyRealIP is the real remote address (IP:port) set by a proxy.
	KeyRealIP = "rip"
	// KeyConnReset, with value "1", asks the peer to close the connection
	// after this reply.
	KeyConnReset = "crrst"
	// KeyBizStatus is a business status code (decimal int32, non-zero means
	// a business error).
	KeyBizStatus = "biz-status"
	// KeyBizMessage is a business error message.
	KeyBizMessage = "biz-message"
	// KeyBizExtra is a JSON object of extra business error information.
	KeyBizExtra = "biz-extra"
	// KeyCRC32C is the hex CRC32-Castagnoli of the payload, when payload
	// checksums are enabled on both sides.
	KeyCRC32C = "crc32c"
	// PrefixTransient prefixes transient metainfo keys (one hop).
	PrefixTransient = "RPC_TRANSIT_"
	// PrefixPersistent prefixes persistent metainfo keys (the whole call chain).
	PrefixPersistent = "RPC_PERSIST_"
	// PrefixTransientUpstream prefixes stale transient metainfo from the
	// upstream hop; Kitex reads it but never writes it.
	PrefixTransientUpstream = "RPC_TRANSIT_UPSTREAM_"
	// KeyACLToken is the string key under which the [InfoACLToken] block
	// appears in [Header.Strs]. The encoder writes it as an ACL block, not as
	// a string pair.
	KeyACLToken = "RPC_TRANSIT_gdpr-token"
	// KeyCascadeCancel is the TTHeader Streaming cascading-cancel path
	// ("A,B,C") carried in rst frames.
	KeyCascadeCancel = "ttscp"
)

var intKeyNames = [...]string{
	MeshVersion:     "MeshVersion",
	TransportType:   "TransportType",
	LogID:           "LogID",
	FromService:     "FromService",
	FromCluster:     "FromCluster",
	FromIDC:         "FromIDC",
	ToService:       "ToService",
	ToCluster:       "ToCluster",
	ToIDC:           "ToIDC",
	ToMethod:        "ToMethod",
	Env:             "Env",
	DestAddress:     "DestAddress",
	RPCTimeout:      "RPCTimeout",
	ReadTimeout:     "ReadTimeout",
	RingHashKey:     "RingHashKey",
	DDPTag:          "DDPTag",
	WithMeshHeader:  "WithMeshHeader",
	ConnectTimeout:  "ConnectTimeout",
	SpanContext:     "SpanContext",
	ShortConnection: "ShortConnection",
	FromMethod:      "FromMethod",
	StressTag:       "StressTag",
	MsgType:         "MsgType",
	HTTPContentType: "HTTPContentType",
	RawRingHashKey:  "RawRingHashKey",
	LBType:          "LBType",
	ClusterShardID:  "ClusterShardID",
	FrameType:       "FrameType",
}

// IntKeyName returns the name of the integer key k ("ToMethod" for
// [ToMethod]), or "" when k is not one of the keys defined above.
func IntKeyName(k uint16) string {
	if int(k) < len(intKeyNames) {
		return intKeyNames[k]
	}
	return ""
}

// intern returns a constant string equal to b when b is a well-known key or
// a common small value, so the decoder does not allocate for it.
func intern(b []byte) (string, bool) {
	const digits = "0123456789"
	switch len(b) {
	case 0:
		return "", true
	case 1:
		if c := b[0]; c >= '0' && c <= '9' {
			return digits[c-'0' : c-'0'+1], true
		}
		return "", false
	}
	switch string(b) { // does not allocate
	case KeyIDLServiceName:
		return KeyIDLServiceName, true
	case KeyRealIP:
		return KeyRealIP, true
	case KeyConnReset:
		return KeyConnReset, true
	case KeyBizStatus:
		return KeyBizStatus, true
	case KeyBizMessage:
		return KeyBizMessage, true
	case KeyBizExtra:
		return KeyBizExtra, true
	case KeyCRC32C:
		return KeyCRC32C, true
	case KeyACLToken:
		return KeyACLToken, true
	case KeyCascadeCancel:
		return KeyCascadeCancel, true
	case "framed":
		return "framed", true
	case "unframed":
		return "unframed", true
	}
	return "", false
}
