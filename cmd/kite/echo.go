package main

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kite-rpc/kite"
	"github.com/kite-rpc/kite/kite_gen/echo"
)

// echoHandler is the built-in echo service. It behaves as the Kitex server
// behind ../shared/vectors did, chosen by Request.Action.
type echoHandler struct{}

var errPlain = errors.New("kitexlab: plain handler error")

func (echoHandler) act(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	msg, err := act(ctx, req.Action, req.Msg)
	if err != nil {
		return nil, err
	}
	return &echo.Response{Action: req.Action, Msg: msg}, nil
}

// act is the behaviour of the echo services (Thrift and protobuf alike) for
// one action, as the table in ../shared/vectors/README.md gives it: the
// reply's msg, or the error to return.
func act(ctx context.Context, action, msg string) (string, error) {
	switch action {
	case "error":
		return "", errPlain
	case "bizerror":
		return "", kite.NewBizError(10001, "kitexlab biz status error", nil)
	case "bizerror-extra":
		return "", kite.NewBizError(10002, "kitexlab biz status error with extra", map[string]string{"ek": "ev"})
	case "meta":
		kite.SendBackwardValue(ctx, "bkey", "bval")
		return "transient={" + joinSorted(kite.GetAllValues(ctx)) + "} persistent={" + joinSorted(kite.GetAllPersistentValues(ctx)) + "}", nil
	case "sleep":
		if ms, err := strconv.Atoi(msg); err == nil && ms > 0 {
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
	}
	return msg, nil
}

func joinSorted(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
	}
	return b.String()
}

func (h echoHandler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	return h.act(ctx, req)
}

func (h echoHandler) EchoWithException(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	if req.Action == "throw" {
		return nil, &echo.EchoException{Code: 42, Message: "kitexlab declared exception"}
	}
	return h.act(ctx, req)
}

func (h echoHandler) EchoOneway(ctx context.Context, req *echo.Request) error {
	_, err := h.act(ctx, req)
	return err
}

func (echoHandler) EchoComplex(ctx context.Context, req *echo.ComplexRequest) (*echo.ComplexResponse, error) {
	return &echo.ComplexResponse{
		Action:  req.Action,
		Msg:     req.Msg,
		MsgMap:  req.MsgMap,
		SubMsgs: req.SubMsgs,
		MsgSet:  req.MsgSet,
		FlagMsg: req.FlagMsg,
	}, nil
}
