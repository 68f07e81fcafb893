package echo

import "github.com/kite-rpc/kite/codec/thrift"

// ---- EchoArgs ----

// BinarySize returns the exact size of the binary encoding.
func (p *EchoArgs) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	return thrift.FieldBeginSize + p.Req.BinarySize() + thrift.FieldStopSize
}

// AppendBinary appends the binary encoding. Field 1 is always written; a nil
// Req is written as an empty struct, as Kitex does.
func (p *EchoArgs) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRUCT, 1)
	b = p.Req.AppendBinary(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *EchoArgs) ConsumeBinary(b []byte) (int, error) {
	*p = EchoArgs{}
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		if id == 1 && t == thrift.STRUCT {
			p.Req = new(Request)
			n, err = p.Req.ConsumeBinary(b[off:])
		} else {
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// AppendCompact appends the compact encoding.
func (p *EchoArgs) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 1, 0)
	b = p.Req.AppendCompact(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *EchoArgs) ConsumeCompact(b []byte) (int, error) {
	*p = EchoArgs{}
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		last = id
		if id == 1 && t == thrift.STRUCT {
			p.Req = new(Request)
			n, err = p.Req.ConsumeCompact(b[off:])
		} else {
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- EchoComplexArgs ----

// BinarySize returns the exact size of the binary encoding.
func (p *EchoComplexArgs) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	return thrift.FieldBeginSize + p.Req.BinarySize() + thrift.FieldStopSize
}

// AppendBinary appends the binary encoding. Field 1 is always written; a nil
// Req is written as an empty struct, as Kitex does.
func (p *EchoComplexArgs) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRUCT, 1)
	b = p.Req.AppendBinary(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *EchoComplexArgs) ConsumeBinary(b []byte) (int, error) {
	*p = EchoComplexArgs{}
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		if id == 1 && t == thrift.STRUCT {
			p.Req = new(ComplexRequest)
			n, err = p.Req.ConsumeBinary(b[off:])
		} else {
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// AppendCompact appends the compact encoding.
func (p *EchoComplexArgs) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 1, 0)
	b = p.Req.AppendCompact(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *EchoComplexArgs) ConsumeCompact(b []byte) (int, error) {
	*p = EchoComplexArgs{}
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		last = id
		if id == 1 && t == thrift.STRUCT {
			p.Req = new(ComplexRequest)
			n, err = p.Req.ConsumeCompact(b[off:])
		} else {
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- EchoWithExceptionArgs ----

// BinarySize returns the exact size of the binary encoding.
func (p *EchoWithExceptionArgs) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	return thrift.FieldBeginSize + p.Req.BinarySize() + thrift.FieldStopSize
}

// AppendBinary appends the binary encoding. Field 1 is always written; a nil
// Req is written as an empty struct, as Kitex does.
func (p *EchoWithExceptionArgs) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRUCT, 1)
	b = p.Req.AppendBinary(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *EchoWithExceptionArgs) ConsumeBinary(b []byte) (int, error) {
	*p = EchoWithExceptionArgs{}
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		if id == 1 && t == thrift.STRUCT {
			p.Req = new(Request)
			n, err = p.Req.ConsumeBinary(b[off:])
		} else {
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// AppendCompact appends the compact encoding.
func (p *EchoWithExceptionArgs) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 1, 0)
	b = p.Req.AppendCompact(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *EchoWithExceptionArgs) ConsumeCompact(b []byte) (int, error) {
	*p = EchoWithExceptionArgs{}
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		last = id
		if id == 1 && t == thrift.STRUCT {
			p.Req = new(Request)
			n, err = p.Req.ConsumeCompact(b[off:])
		} else {
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- EchoOnewayArgs ----

// BinarySize returns the exact size of the binary encoding.
func (p *EchoOnewayArgs) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	return thrift.FieldBeginSize + p.Req.BinarySize() + thrift.FieldStopSize
}

// AppendBinary appends the binary encoding. Field 1 is always written; a nil
// Req is written as an empty struct, as Kitex does.
func (p *EchoOnewayArgs) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRUCT, 1)
	b = p.Req.AppendBinary(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *EchoOnewayArgs) ConsumeBinary(b []byte) (int, error) {
	*p = EchoOnewayArgs{}
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		if id == 1 && t == thrift.STRUCT {
			p.Req = new(Request)
			n, err = p.Req.ConsumeBinary(b[off:])
		} else {
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// AppendCompact appends the compact encoding.
func (p *EchoOnewayArgs) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 1, 0)
	b = p.Req.AppendCompact(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *EchoOnewayArgs) ConsumeCompact(b []byte) (int, error) {
	*p = EchoOnewayArgs{}
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		last = id
		if id == 1 && t == thrift.STRUCT {
			p.Req = new(Request)
			n, err = p.Req.ConsumeCompact(b[off:])
		} else {
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- EchoResult ----

// BinarySize returns the exact size of the binary encoding.
func (p *EchoResult) BinarySize() int {
	n := thrift.FieldStopSize
	if p == nil {
		return n
	}
	if p.Success != nil {
		n += thrift.FieldBeginSize + p.Success.BinarySize()
	}
	return n
}

// AppendBinary appends the binary encoding: Success (field 0) when non-nil.
func (p *EchoResult) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	if p.Success != nil {
		b = thrift.AppendFieldBegin(b, thrift.STRUCT, 0)
		b = p.Success.AppendBinary(b)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *EchoResult) ConsumeBinary(b []byte) (int, error) {
	*p = EchoResult{}
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		switch {
		case id == 0 && t == thrift.STRUCT:
			p.Success = new(Response)
			n, err = p.Success.ConsumeBinary(b[off:])
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// AppendCompact appends the compact encoding.
func (p *EchoResult) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	if p.Success != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 0, 0)
		b = p.Success.AppendCompact(b)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *EchoResult) ConsumeCompact(b []byte) (int, error) {
	*p = EchoResult{}
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		last = id
		switch {
		case id == 0 && t == thrift.STRUCT:
			p.Success = new(Response)
			n, err = p.Success.ConsumeCompact(b[off:])
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- EchoComplexResult ----

// BinarySize returns the exact size of the binary encoding.
func (p *EchoComplexResult) BinarySize() int {
	n := thrift.FieldStopSize
	if p == nil {
		return n
	}
	if p.Success != nil {
		n += thrift.FieldBeginSize + p.Success.BinarySize()
	}
	return n
}

// AppendBinary appends the binary encoding: Success (field 0) when non-nil.
func (p *EchoComplexResult) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	if p.Success != nil {
		b = thrift.AppendFieldBegin(b, thrift.STRUCT, 0)
		b = p.Success.AppendBinary(b)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *EchoComplexResult) ConsumeBinary(b []byte) (int, error) {
	*p = EchoComplexResult{}
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		switch {
		case id == 0 && t == thrift.STRUCT:
			p.Success = new(ComplexResponse)
			n, err = p.Success.ConsumeBinary(b[off:])
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// AppendCompact appends the compact encoding.
func (p *EchoComplexResult) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	if p.Success != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 0, 0)
		b = p.Success.AppendCompact(b)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *EchoComplexResult) ConsumeCompact(b []byte) (int, error) {
	*p = EchoComplexResult{}
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		last = id
		switch {
		case id == 0 && t == thrift.STRUCT:
			p.Success = new(ComplexResponse)
			n, err = p.Success.ConsumeCompact(b[off:])
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- EchoWithExceptionResult ----

// BinarySize returns the exact size of the binary encoding.
func (p *EchoWithExceptionResult) BinarySize() int {
	n := thrift.FieldStopSize
	if p == nil {
		return n
	}
	if p.Success != nil {
		n += thrift.FieldBeginSize + p.Success.BinarySize()
	}
	if p.Err != nil {
		n += thrift.FieldBeginSize + p.Err.BinarySize()
	}
	return n
}

// AppendBinary appends the binary encoding: Success (field 0) and Err (field 1) when non-nil.
func (p *EchoWithExceptionResult) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	if p.Success != nil {
		b = thrift.AppendFieldBegin(b, thrift.STRUCT, 0)
		b = p.Success.AppendBinary(b)
	}
	if p.Err != nil {
		b = thrift.AppendFieldBegin(b, thrift.STRUCT, 1)
		b = p.Err.AppendBinary(b)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *EchoWithExceptionResult) ConsumeBinary(b []byte) (int, error) {
	*p = EchoWithExceptionResult{}
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		switch {
		case id == 0 && t == thrift.STRUCT:
			p.Success = new(Response)
			n, err = p.Success.ConsumeBinary(b[off:])
		case id == 1 && t == thrift.STRUCT:
			p.Err = new(EchoException)
			n, err = p.Err.ConsumeBinary(b[off:])
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// AppendCompact appends the compact encoding.
func (p *EchoWithExceptionResult) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	if p.Success != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 0, 0)
		b = p.Success.AppendCompact(b)
	}
	if p.Err != nil {
		// Field 0 (if written) leaves the previous id at 0 either way.
		b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 1, 0)
		b = p.Err.AppendCompact(b)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *EchoWithExceptionResult) ConsumeCompact(b []byte) (int, error) {
	*p = EchoWithExceptionResult{}
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			return off, nil
		}
		last = id
		switch {
		case id == 0 && t == thrift.STRUCT:
			p.Success = new(Response)
			n, err = p.Success.ConsumeCompact(b[off:])
		case id == 1 && t == thrift.STRUCT:
			p.Err = new(EchoException)
			n, err = p.Err.ConsumeCompact(b[off:])
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}
