package echo

import "github.com/kite-rpc/kite/codec/thrift"

// ---- Request ----

// AppendCompact appends the compact encoding.
func (p *Request) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 1, 0)
	b = thrift.AppendCompactString(b, p.Action)
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 2, 1)
	b = thrift.AppendCompactString(b, p.Msg)
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *Request) ConsumeCompact(b []byte) (int, error) {
	*p = Request{}
	var isset uint8
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			break
		}
		last = id
		switch {
		case id == 1 && t == thrift.STRING:
			p.Action, n, err = thrift.ConsumeCompactString(b[off:])
			isset |= 1
		case id == 2 && t == thrift.STRING:
			p.Msg, n, err = thrift.ConsumeCompactString(b[off:])
			isset |= 2
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
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

// AppendCompact appends the compact encoding.
func (p *Response) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 1, 0)
	b = thrift.AppendCompactString(b, p.Action)
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 2, 1)
	b = thrift.AppendCompactString(b, p.Msg)
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *Response) ConsumeCompact(b []byte) (int, error) {
	*p = Response{}
	var isset uint8
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			break
		}
		last = id
		switch {
		case id == 1 && t == thrift.STRING:
			p.Action, n, err = thrift.ConsumeCompactString(b[off:])
			isset |= 1
		case id == 2 && t == thrift.STRING:
			p.Msg, n, err = thrift.ConsumeCompactString(b[off:])
			isset |= 2
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
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

// AppendCompact appends the compact encoding.
func (p *SubMessage) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	var last int16
	if p.ID != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.I64, 1, last)
		b = thrift.AppendCompactI64(b, *p.ID)
		last = 1
	}
	if p.Value != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 2, last)
		b = thrift.AppendCompactString(b, *p.Value)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *SubMessage) ConsumeCompact(b []byte) (int, error) {
	*p = SubMessage{}
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
		case id == 1 && t == thrift.I64:
			var v int64
			v, n, err = thrift.ConsumeCompactI64(b[off:])
			p.ID = &v
		case id == 2 && t == thrift.STRING:
			var v string
			v, n, err = thrift.ConsumeCompactString(b[off:])
			p.Value = &v
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- Message ----

// AppendCompact appends the compact encoding.
func (p *Message) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	var last int16
	if p.ID != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.I64, 1, last)
		b = thrift.AppendCompactI64(b, *p.ID)
		last = 1
	}
	if p.Value != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 2, last)
		b = thrift.AppendCompactString(b, *p.Value)
		last = 2
	}
	if p.SubMessages != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.LIST, 3, last)
		b = appendSubMessageListCompact(b, p.SubMessages)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *Message) ConsumeCompact(b []byte) (int, error) {
	*p = Message{}
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
		case id == 1 && t == thrift.I64:
			var v int64
			v, n, err = thrift.ConsumeCompactI64(b[off:])
			p.ID = &v
		case id == 2 && t == thrift.STRING:
			var v string
			v, n, err = thrift.ConsumeCompactString(b[off:])
			p.Value = &v
		case id == 3 && t == thrift.LIST:
			p.SubMessages, n, err = consumeSubMessageListCompact(b[off:])
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- ComplexRequest ----

// AppendCompact appends the compact encoding.
func (p *ComplexRequest) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 1, 0)
	b = thrift.AppendCompactString(b, p.Action)
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 2, 1)
	b = thrift.AppendCompactString(b, p.Msg)
	b = thrift.AppendCompactFieldBegin(b, thrift.MAP, 3, 2)
	b = appendSubMessageMapCompact(b, p.MsgMap)
	b = thrift.AppendCompactFieldBegin(b, thrift.LIST, 4, 3)
	b = appendSubMessageListCompact(b, p.SubMsgs)
	last := int16(4)
	if p.MsgSet != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.SET, 5, last)
		b = appendMessageSetCompact(b, p.MsgSet)
		last = 5
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 6, last)
	b = p.FlagMsg.AppendCompact(b)
	if p.MockCost != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 7, 6)
		b = thrift.AppendCompactString(b, *p.MockCost)
	}
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *ComplexRequest) ConsumeCompact(b []byte) (int, error) {
	*p = ComplexRequest{}
	var isset uint8
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			break
		}
		last = id
		switch {
		case id == 1 && t == thrift.STRING:
			p.Action, n, err = thrift.ConsumeCompactString(b[off:])
			isset |= 1
		case id == 2 && t == thrift.STRING:
			p.Msg, n, err = thrift.ConsumeCompactString(b[off:])
			isset |= 2
		case id == 3 && t == thrift.MAP:
			p.MsgMap, n, err = consumeSubMessageMapCompact(b[off:])
			if p.MsgMap != nil {
				isset |= 4
			}
		case id == 4 && t == thrift.LIST:
			p.SubMsgs, n, err = consumeSubMessageListCompact(b[off:])
			if p.SubMsgs != nil {
				isset |= 8
			}
		case id == 5 && t == thrift.SET:
			p.MsgSet, n, err = consumeMessageSetCompact(b[off:])
		case id == 6 && t == thrift.STRUCT:
			p.FlagMsg = new(Message)
			n, err = p.FlagMsg.ConsumeCompact(b[off:])
			isset |= 16
		case id == 7 && t == thrift.STRING:
			var v string
			v, n, err = thrift.ConsumeCompactString(b[off:])
			p.MockCost = &v
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
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

// AppendCompact appends the compact encoding.
func (p *ComplexResponse) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 1, 0)
	b = thrift.AppendCompactString(b, p.Action)
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 2, 1)
	b = thrift.AppendCompactString(b, p.Msg)
	b = thrift.AppendCompactFieldBegin(b, thrift.MAP, 3, 2)
	b = appendSubMessageMapCompact(b, p.MsgMap)
	b = thrift.AppendCompactFieldBegin(b, thrift.LIST, 4, 3)
	b = appendSubMessageListCompact(b, p.SubMsgs)
	last := int16(4)
	if p.MsgSet != nil {
		b = thrift.AppendCompactFieldBegin(b, thrift.SET, 5, last)
		b = appendMessageSetCompact(b, p.MsgSet)
		last = 5
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.STRUCT, 6, last)
	b = p.FlagMsg.AppendCompact(b)
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *ComplexResponse) ConsumeCompact(b []byte) (int, error) {
	*p = ComplexResponse{}
	var isset uint8
	var last int16
	off := 0
	for {
		t, id, _, n, err := thrift.ConsumeCompactFieldBegin(b[off:], last)
		if err != nil {
			return 0, err
		}
		off += n
		if t == thrift.STOP {
			break
		}
		last = id
		switch {
		case id == 1 && t == thrift.STRING:
			p.Action, n, err = thrift.ConsumeCompactString(b[off:])
			isset |= 1
		case id == 2 && t == thrift.STRING:
			p.Msg, n, err = thrift.ConsumeCompactString(b[off:])
			isset |= 2
		case id == 3 && t == thrift.MAP:
			p.MsgMap, n, err = consumeSubMessageMapCompact(b[off:])
			if p.MsgMap != nil {
				isset |= 4
			}
		case id == 4 && t == thrift.LIST:
			p.SubMsgs, n, err = consumeSubMessageListCompact(b[off:])
			if p.SubMsgs != nil {
				isset |= 8
			}
		case id == 5 && t == thrift.SET:
			p.MsgSet, n, err = consumeMessageSetCompact(b[off:])
		case id == 6 && t == thrift.STRUCT:
			p.FlagMsg = new(Message)
			n, err = p.FlagMsg.ConsumeCompact(b[off:])
			isset |= 16
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
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

// AppendCompact appends the compact encoding.
func (p *EchoException) AppendCompact(b []byte) []byte {
	if p == nil {
		return thrift.AppendFieldStop(b)
	}
	b = thrift.AppendCompactFieldBegin(b, thrift.I32, 1, 0)
	b = thrift.AppendCompactI32(b, p.Code)
	b = thrift.AppendCompactFieldBegin(b, thrift.STRING, 2, 1)
	b = thrift.AppendCompactString(b, p.Message)
	return thrift.AppendFieldStop(b)
}

// ConsumeCompact decodes the compact encoding into p.
func (p *EchoException) ConsumeCompact(b []byte) (int, error) {
	*p = EchoException{}
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
		case id == 1 && t == thrift.I32:
			p.Code, n, err = thrift.ConsumeCompactI32(b[off:])
		case id == 2 && t == thrift.STRING:
			p.Message, n, err = thrift.ConsumeCompactString(b[off:])
		default:
			n, err = thrift.SkipCompactField(b[off:], t)
		}
		if err != nil {
			return 0, err
		}
		off += n
	}
}

// ---- containers ----

func appendSubMessageListCompact(b []byte, l []*SubMessage) []byte {
	b = thrift.AppendCompactListBegin(b, thrift.STRUCT, len(l))
	for _, v := range l {
		b = v.AppendCompact(b)
	}
	return b
}

func consumeSubMessageListCompact(b []byte) ([]*SubMessage, int, error) {
	et, size, off, err := thrift.ConsumeCompactListBegin(b)
	if err != nil {
		return nil, 0, err
	}
	if size > 0 && et != thrift.STRUCT {
		n, err := thrift.SkipCompact(b, thrift.LIST)
		return nil, n, err
	}
	l := make([]*SubMessage, size)
	items := make([]SubMessage, size)
	for i := range l {
		n, err := items[i].ConsumeCompact(b[off:])
		if err != nil {
			return nil, 0, err
		}
		off += n
		l[i] = &items[i]
	}
	return l, off, nil
}

func appendMessageSetCompact(b []byte, l []*Message) []byte {
	b = thrift.AppendCompactSetBegin(b, thrift.STRUCT, len(l))
	for _, v := range l {
		b = v.AppendCompact(b)
	}
	return b
}

func consumeMessageSetCompact(b []byte) ([]*Message, int, error) {
	et, size, off, err := thrift.ConsumeCompactSetBegin(b)
	if err != nil {
		return nil, 0, err
	}
	if size > 0 && et != thrift.STRUCT {
		n, err := thrift.SkipCompact(b, thrift.SET)
		return nil, n, err
	}
	l := make([]*Message, size)
	items := make([]Message, size)
	for i := range l {
		n, err := items[i].ConsumeCompact(b[off:])
		if err != nil {
			return nil, 0, err
		}
		off += n
		l[i] = &items[i]
	}
	return l, off, nil
}

func appendSubMessageMapCompact(b []byte, m map[string]*SubMessage) []byte {
	b = thrift.AppendCompactMapBegin(b, thrift.STRING, thrift.STRUCT, len(m))
	for k, v := range m {
		b = thrift.AppendCompactString(b, k)
		b = v.AppendCompact(b)
	}
	return b
}

func consumeSubMessageMapCompact(b []byte) (map[string]*SubMessage, int, error) {
	kt, vt, size, off, err := thrift.ConsumeCompactMapBegin(b)
	if err != nil {
		return nil, 0, err
	}
	if size > 0 && (kt != thrift.STRING || vt != thrift.STRUCT) {
		n, err := thrift.SkipCompact(b, thrift.MAP)
		return nil, n, err
	}
	m := make(map[string]*SubMessage, size)
	items := make([]SubMessage, size)
	for i := range items {
		k, n, err := thrift.ConsumeCompactString(b[off:])
		if err != nil {
			return nil, 0, err
		}
		off += n
		if n, err = items[i].ConsumeCompact(b[off:]); err != nil {
			return nil, 0, err
		}
		off += n
		m[k] = &items[i]
	}
	return m, off, nil
}
