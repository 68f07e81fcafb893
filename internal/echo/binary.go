package echo

import "github.com/kite-rpc/kite/codec/thrift"

var (
	errRequestAction         = &thrift.RequiredFieldError{Struct: "Request", Field: "action"}
	errRequestMsg            = &thrift.RequiredFieldError{Struct: "Request", Field: "msg"}
	errResponseAction        = &thrift.RequiredFieldError{Struct: "Response", Field: "action"}
	errResponseMsg           = &thrift.RequiredFieldError{Struct: "Response", Field: "msg"}
	errComplexRequestAction  = &thrift.RequiredFieldError{Struct: "ComplexRequest", Field: "action"}
	errComplexRequestMsg     = &thrift.RequiredFieldError{Struct: "ComplexRequest", Field: "msg"}
	errComplexRequestMsgMap  = &thrift.RequiredFieldError{Struct: "ComplexRequest", Field: "msgMap"}
	errComplexRequestSubMsgs = &thrift.RequiredFieldError{Struct: "ComplexRequest", Field: "subMsgs"}
	errComplexRequestFlagMsg = &thrift.RequiredFieldError{Struct: "ComplexRequest", Field: "flagMsg"}
	errComplexRespAction     = &thrift.RequiredFieldError{Struct: "ComplexResponse", Field: "action"}
	errComplexRespMsg        = &thrift.RequiredFieldError{Struct: "ComplexResponse", Field: "msg"}
	errComplexRespMsgMap     = &thrift.RequiredFieldError{Struct: "ComplexResponse", Field: "msgMap"}
	errComplexRespSubMsgs    = &thrift.RequiredFieldError{Struct: "ComplexResponse", Field: "subMsgs"}
	errComplexRespFlagMsg    = &thrift.RequiredFieldError{Struct: "ComplexResponse", Field: "flagMsg"}
)

// ---- Request ----

// BinarySize returns the exact size of the binary encoding.
func (p *Request) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	return 2*thrift.FieldBeginSize + thrift.SizeString(p.Action) + thrift.SizeString(p.Msg) + thrift.FieldStopSize
}

// AppendBinary appends the binary encoding.
func (p *Request) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRING, 1)
	b = thrift.AppendString(b, p.Action)
	b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
	b = thrift.AppendString(b, p.Msg)
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *Request) ConsumeBinary(b []byte) (int, error) {
	*p = Request{}
	var isset uint8
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			break
		}
		switch {
		case id == 1 && t == thrift.STRING:
			p.Action, n, err = thrift.ConsumeString(b[off:])
			isset |= 1
		case id == 2 && t == thrift.STRING:
			p.Msg, n, err = thrift.ConsumeString(b[off:])
			isset |= 2
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
	if isset&1 == 0 {
		return 0, errRequestAction
	}
	if isset&2 == 0 {
		return 0, errRequestMsg
	}
	return off, nil
}

// ---- Response ----

// BinarySize returns the exact size of the binary encoding.
func (p *Response) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	return 2*thrift.FieldBeginSize + thrift.SizeString(p.Action) + thrift.SizeString(p.Msg) + thrift.FieldStopSize
}

// AppendBinary appends the binary encoding.
func (p *Response) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRING, 1)
	b = thrift.AppendString(b, p.Action)
	b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
	b = thrift.AppendString(b, p.Msg)
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *Response) ConsumeBinary(b []byte) (int, error) {
	*p = Response{}
	var isset uint8
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			break
		}
		switch {
		case id == 1 && t == thrift.STRING:
			p.Action, n, err = thrift.ConsumeString(b[off:])
			isset |= 1
		case id == 2 && t == thrift.STRING:
			p.Msg, n, err = thrift.ConsumeString(b[off:])
			isset |= 2
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
	if isset&1 == 0 {
		return 0, errResponseAction
	}
	if isset&2 == 0 {
		return 0, errResponseMsg
	}
	return off, nil
}

// ---- SubMessage ----

// BinarySize returns the exact size of the binary encoding.
func (p *SubMessage) BinarySize() int {
	n := thrift.FieldStopSize
	if p == nil {
		return n
	}
	if p.ID != nil {
		n += thrift.FieldBeginSize + thrift.I64Size
	}
	if p.Value != nil {
		n += thrift.FieldBeginSize + thrift.SizeString(*p.Value)
	}
	return n
}

// AppendBinary appends the binary encoding.
func (p *SubMessage) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	if p.ID != nil {
		b = thrift.AppendFieldBegin(b, thrift.I64, 1)
		b = thrift.AppendI64(b, *p.ID)
	}
	if p.Value != nil {
		b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
		b = thrift.AppendString(b, *p.Value)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *SubMessage) ConsumeBinary(b []byte) (int, error) {
	*p = SubMessage{}
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
		case id == 1 && t == thrift.I64:
			var v int64
			v, n, err = thrift.ConsumeI64(b[off:])
			p.ID = &v
		case id == 2 && t == thrift.STRING:
			var v string
			v, n, err = thrift.ConsumeString(b[off:])
			p.Value = &v
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- Message ----

// BinarySize returns the exact size of the binary encoding.
func (p *Message) BinarySize() int {
	n := thrift.FieldStopSize
	if p == nil {
		return n
	}
	if p.ID != nil {
		n += thrift.FieldBeginSize + thrift.I64Size
	}
	if p.Value != nil {
		n += thrift.FieldBeginSize + thrift.SizeString(*p.Value)
	}
	if p.SubMessages != nil {
		n += thrift.FieldBeginSize + sizeSubMessageListBinary(p.SubMessages)
	}
	return n
}

// AppendBinary appends the binary encoding.
func (p *Message) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	if p.ID != nil {
		b = thrift.AppendFieldBegin(b, thrift.I64, 1)
		b = thrift.AppendI64(b, *p.ID)
	}
	if p.Value != nil {
		b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
		b = thrift.AppendString(b, *p.Value)
	}
	if p.SubMessages != nil {
		b = thrift.AppendFieldBegin(b, thrift.LIST, 3)
		b = appendSubMessageListBinary(b, p.SubMessages)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *Message) ConsumeBinary(b []byte) (int, error) {
	*p = Message{}
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
		case id == 1 && t == thrift.I64:
			var v int64
			v, n, err = thrift.ConsumeI64(b[off:])
			p.ID = &v
		case id == 2 && t == thrift.STRING:
			var v string
			v, n, err = thrift.ConsumeString(b[off:])
			p.Value = &v
		case id == 3 && t == thrift.LIST:
			p.SubMessages, n, err = consumeSubMessageListBinary(b[off:])
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- ComplexRequest ----

// BinarySize returns the exact size of the binary encoding.
func (p *ComplexRequest) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	n := 5*thrift.FieldBeginSize + thrift.SizeString(p.Action) + thrift.SizeString(p.Msg) +
		sizeSubMessageMapBinary(p.MsgMap) + sizeSubMessageListBinary(p.SubMsgs) + p.FlagMsg.BinarySize() +
		thrift.FieldStopSize
	if p.MsgSet != nil {
		n += thrift.FieldBeginSize + sizeMessageSetBinary(p.MsgSet)
	}
	if p.MockCost != nil {
		n += thrift.FieldBeginSize + thrift.SizeString(*p.MockCost)
	}
	return n
}

// AppendBinary appends the binary encoding.
func (p *ComplexRequest) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRING, 1)
	b = thrift.AppendString(b, p.Action)
	b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
	b = thrift.AppendString(b, p.Msg)
	b = thrift.AppendFieldBegin(b, thrift.MAP, 3)
	b = appendSubMessageMapBinary(b, p.MsgMap)
	b = thrift.AppendFieldBegin(b, thrift.LIST, 4)
	b = appendSubMessageListBinary(b, p.SubMsgs)
	if p.MsgSet != nil {
		b = thrift.AppendFieldBegin(b, thrift.SET, 5)
		b = appendMessageSetBinary(b, p.MsgSet)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRUCT, 6)
	b = p.FlagMsg.AppendBinary(b)
	if p.MockCost != nil {
		b = thrift.AppendFieldBegin(b, thrift.STRING, 7)
		b = thrift.AppendString(b, *p.MockCost)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *ComplexRequest) ConsumeBinary(b []byte) (int, error) {
	*p = ComplexRequest{}
	var isset uint8
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			break
		}
		switch {
		case id == 1 && t == thrift.STRING:
			p.Action, n, err = thrift.ConsumeString(b[off:])
			isset |= 1
		case id == 2 && t == thrift.STRING:
			p.Msg, n, err = thrift.ConsumeString(b[off:])
			isset |= 2
		case id == 3 && t == thrift.MAP:
			p.MsgMap, n, err = consumeSubMessageMapBinary(b[off:])
			if p.MsgMap != nil {
				isset |= 4
			}
		case id == 4 && t == thrift.LIST:
			p.SubMsgs, n, err = consumeSubMessageListBinary(b[off:])
			if p.SubMsgs != nil {
				isset |= 8
			}
		case id == 5 && t == thrift.SET:
			p.MsgSet, n, err = consumeMessageSetBinary(b[off:])
		case id == 6 && t == thrift.STRUCT:
			p.FlagMsg = new(Message)
			n, err = p.FlagMsg.ConsumeBinary(b[off:])
			isset |= 16
		case id == 7 && t == thrift.STRING:
			var v string
			v, n, err = thrift.ConsumeString(b[off:])
			p.MockCost = &v
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
	switch {
	case isset&1 == 0:
		return 0, errComplexRequestAction
	case isset&2 == 0:
		return 0, errComplexRequestMsg
	case isset&4 == 0:
		return 0, errComplexRequestMsgMap
	case isset&8 == 0:
		return 0, errComplexRequestSubMsgs
	case isset&16 == 0:
		return 0, errComplexRequestFlagMsg
	}
	return off, nil
}

// ---- ComplexResponse ----

// BinarySize returns the exact size of the binary encoding.
func (p *ComplexResponse) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	n := 5*thrift.FieldBeginSize + thrift.SizeString(p.Action) + thrift.SizeString(p.Msg) +
		sizeSubMessageMapBinary(p.MsgMap) + sizeSubMessageListBinary(p.SubMsgs) + p.FlagMsg.BinarySize() +
		thrift.FieldStopSize
	if p.MsgSet != nil {
		n += thrift.FieldBeginSize + sizeMessageSetBinary(p.MsgSet)
	}
	return n
}

// AppendBinary appends the binary encoding.
func (p *ComplexResponse) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRING, 1)
	b = thrift.AppendString(b, p.Action)
	b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
	b = thrift.AppendString(b, p.Msg)
	b = thrift.AppendFieldBegin(b, thrift.MAP, 3)
	b = appendSubMessageMapBinary(b, p.MsgMap)
	b = thrift.AppendFieldBegin(b, thrift.LIST, 4)
	b = appendSubMessageListBinary(b, p.SubMsgs)
	if p.MsgSet != nil {
		b = thrift.AppendFieldBegin(b, thrift.SET, 5)
		b = appendMessageSetBinary(b, p.MsgSet)
	}
	b = thrift.AppendFieldBegin(b, thrift.STRUCT, 6)
	b = p.FlagMsg.AppendBinary(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *ComplexResponse) ConsumeBinary(b []byte) (int, error) {
	*p = ComplexResponse{}
	var isset uint8
	off := 0
	for {
		t, id, n, err := thrift.ConsumeFieldBegin(b[off:])
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			break
		}
		switch {
		case id == 1 && t == thrift.STRING:
			p.Action, n, err = thrift.ConsumeString(b[off:])
			isset |= 1
		case id == 2 && t == thrift.STRING:
			p.Msg, n, err = thrift.ConsumeString(b[off:])
			isset |= 2
		case id == 3 && t == thrift.MAP:
			p.MsgMap, n, err = consumeSubMessageMapBinary(b[off:])
			if p.MsgMap != nil {
				isset |= 4
			}
		case id == 4 && t == thrift.LIST:
			p.SubMsgs, n, err = consumeSubMessageListBinary(b[off:])
			if p.SubMsgs != nil {
				isset |= 8
			}
		case id == 5 && t == thrift.SET:
			p.MsgSet, n, err = consumeMessageSetBinary(b[off:])
		case id == 6 && t == thrift.STRUCT:
			p.FlagMsg = new(Message)
			n, err = p.FlagMsg.ConsumeBinary(b[off:])
			isset |= 16
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
	switch {
	case isset&1 == 0:
		return 0, errComplexRespAction
	case isset&2 == 0:
		return 0, errComplexRespMsg
	case isset&4 == 0:
		return 0, errComplexRespMsgMap
	case isset&8 == 0:
		return 0, errComplexRespSubMsgs
	case isset&16 == 0:
		return 0, errComplexRespFlagMsg
	}
	return off, nil
}

// ---- EchoException ----

// BinarySize returns the exact size of the binary encoding.
func (p *EchoException) BinarySize() int {
	if p == nil {
		return thrift.FieldStopSize
	}
	return 2*thrift.FieldBeginSize + thrift.I32Size + thrift.SizeString(p.Message) + thrift.FieldStopSize
}

// AppendBinary appends the binary encoding.
func (p *EchoException) AppendBinary(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendFieldBegin(b, thrift.I32, 1)
	b = thrift.AppendI32(b, p.Code)
	b = thrift.AppendFieldBegin(b, thrift.STRING, 2)
	b = thrift.AppendString(b, p.Message)
	return thrift.AppendFieldStop(b)
}

// ConsumeBinary decodes the binary encoding into p.
func (p *EchoException) ConsumeBinary(b []byte) (int, error) {
	*p = EchoException{}
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
		case id == 1 && t == thrift.I32:
			p.Code, n, err = thrift.ConsumeI32(b[off:])
		case id == 2 && t == thrift.STRING:
			p.Message, n, err = thrift.ConsumeString(b[off:])
		default:
			n, err = thrift.SkipBinary(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- containers ----

func sizeSubMessageListBinary(l []*SubMessage) int {
	n := thrift.ListBeginSize
	for _, v := range l {
		n += v.BinarySize()
	}
	return n
}

func appendSubMessageListBinary(b []byte, l []*SubMessage) []byte {
	b = thrift.AppendListBegin(b, thrift.STRUCT, len(l))
	for _, v := range l {
		b = v.AppendBinary(b)
	}
	return b
}

// consumeSubMessageListBinary decodes a list<SubMessage>. A list of another
// element type is skipped and gives nil. The elements share one backing
// array.
func consumeSubMessageListBinary(b []byte) ([]*SubMessage, int, error) {
	et, size, off, err := thrift.ConsumeListBegin(b)
	if err != nil {
		return nil, 0, err
	}
	if size > 0 && et != thrift.STRUCT {
		n, err := thrift.SkipBinary(b, thrift.LIST)
		return nil, n, err
	}
	l := make([]*SubMessage, size)
	items := make([]SubMessage, size)
	for i := range l {
		n, err := items[i].ConsumeBinary(b[off:])
		if err != nil {
			return nil, 0, err
		}
		off += n
		l[i] = &items[i]
	}
	return l, off, nil
}

func sizeMessageSetBinary(l []*Message) int {
	n := thrift.SetBeginSize
	for _, v := range l {
		n += v.BinarySize()
	}
	return n
}

func appendMessageSetBinary(b []byte, l []*Message) []byte {
	b = thrift.AppendSetBegin(b, thrift.STRUCT, len(l))
	for _, v := range l {
		b = v.AppendBinary(b)
	}
	return b
}

func consumeMessageSetBinary(b []byte) ([]*Message, int, error) {
	et, size, off, err := thrift.ConsumeSetBegin(b)
	if err != nil {
		return nil, 0, err
	}
	if size > 0 && et != thrift.STRUCT {
		n, err := thrift.SkipBinary(b, thrift.SET)
		return nil, n, err
	}
	l := make([]*Message, size)
	items := make([]Message, size)
	for i := range l {
		n, err := items[i].ConsumeBinary(b[off:])
		if err != nil {
			return nil, 0, err
		}
		off += n
		l[i] = &items[i]
	}
	return l, off, nil
}

func sizeSubMessageMapBinary(m map[string]*SubMessage) int {
	n := thrift.MapBeginSize
	for k, v := range m {
		n += thrift.SizeString(k) + v.BinarySize()
	}
	return n
}

func appendSubMessageMapBinary(b []byte, m map[string]*SubMessage) []byte {
	b = thrift.AppendMapBegin(b, thrift.STRING, thrift.STRUCT, len(m))
	for k, v := range m {
		b = thrift.AppendString(b, k)
		b = v.AppendBinary(b)
	}
	return b
}

func consumeSubMessageMapBinary(b []byte) (map[string]*SubMessage, int, error) {
	kt, vt, size, off, err := thrift.ConsumeMapBegin(b)
	if err != nil {
		return nil, 0, err
	}
	if size > 0 && (kt != thrift.STRING || vt != thrift.STRUCT) {
		n, err := thrift.SkipBinary(b, thrift.MAP)
		return nil, n, err
	}
	m := make(map[string]*SubMessage, size)
	items := make([]SubMessage, size)
	for i := range items {
		k, n, err := thrift.ConsumeString(b[off:])
		if err != nil {
			return nil, 0, err
		}
		off += n
		if n, err = items[i].ConsumeBinary(b[off:]); err != nil {
			return nil, 0, err
		}
		off += n
		m[k] = &items[i]
	}
	return m, off, nil
}
