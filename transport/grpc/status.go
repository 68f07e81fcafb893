package grpc

import (
	"io"
	"strconv"
	"strings"
	"time"
)

// encodeGRPCMessage percent-encodes msg as grpc-message requires: bytes
// outside printable ASCII, and '%', become %XX.
func encodeGRPCMessage(msg string) string {
	for i := 0; i < len(msg); i++ {
		if c := msg[i]; c < 0x20 || c > 0x7e || c == '%' {
			return encodeSlow(msg)
		}
	}
	return msg
}

func encodeSlow(msg string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	sb.Grow(len(msg) + 8)
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c < 0x20 || c > 0x7e || c == '%' {
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		} else {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// decodeGRPCMessage undoes encodeGRPCMessage; malformed escapes stay as
// they are.
func decodeGRPCMessage(msg string) string {
	if strings.IndexByte(msg, '%') < 0 {
		return msg
	}
	var b []byte
	for i := 0; i < len(msg); i++ {
		if msg[i] == '%' && i+2 < len(msg) {
			if v, err := strconv.ParseUint(msg[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, msg[i])
	}
	return string(b)
}

// EncodeTimeout formats d as a grpc-timeout value: at most 8 digits and a
// unit, rounded up so the receiver never sees more time than there is.
func EncodeTimeout(d time.Duration) string {
	if d <= 0 {
		return "1n"
	}
	units := [...]struct {
		d time.Duration
		u byte
	}{{time.Nanosecond, 'n'}, {time.Microsecond, 'u'}, {time.Millisecond, 'm'}, {time.Second, 'S'}, {time.Minute, 'M'}, {time.Hour, 'H'}}
	for _, u := range units {
		v := (d + u.d - 1) / u.d
		if v < 1e8 {
			return strconv.FormatInt(int64(v), 10) + string(u.u)
		}
	}
	return "99999999H"
}

// DecodeTimeout parses a grpc-timeout value.
func DecodeTimeout(s string) (time.Duration, bool) {
	if len(s) < 2 || len(s) > 9 {
		return 0, false
	}
	v, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	var u time.Duration
	switch s[len(s)-1] {
	case 'n':
		u = time.Nanosecond
	case 'u':
		u = time.Microsecond
	case 'm':
		u = time.Millisecond
	case 'S':
		u = time.Second
	case 'M':
		u = time.Minute
	case 'H':
		u = time.Hour
	default:
		return 0, false
	}
	const max = time.Duration(1<<63 - 1)
	if v > int64(max/u) {
		return max, true
	}
	return time.Duration(v) * u, true
}

// Status is the outcome of a gRPC call: a status code (codes.Code
// numbering), a message, and the trailer fields that came with it.
type Status struct {
	Code    uint32
	Message string
}

// StatusError is an error carrying a gRPC status, as a client stream
// reports a non-OK status.
type StatusError struct {
	Code    uint32
	Message string
}

// Error formats as "grpc: code <n>: <message>".
func (e *StatusError) Error() string {
	return "grpc: code " + strconv.FormatUint(uint64(e.Code), 10) + ": " + e.Message
}

// httpStatusCode maps a non-200 HTTP status to a gRPC code as grpc-go does.
func httpStatusCode(s string) uint32 {
	switch s {
	case "400":
		return 13
	case "401":
		return 16
	case "403":
		return 7
	case "404":
		return 12
	case "429", "502", "503", "504":
		return 14
	}
	return 2
}

func eofError() error { return io.EOF }
