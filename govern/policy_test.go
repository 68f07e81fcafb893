package govern

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func TestTimeoutPolicy(t *testing.T) {
	p := TimeoutPolicy{"*": {RPC: time.Second, Connect: 50 * time.Millisecond}, "Slow": {RPC: 10 * time.Second}}
	if got := p.Lookup("Slow"); got.RPC != 10*time.Second || got.Connect != 0 {
		t.Errorf("Slow: %v", got)
	}
	if got := p.Lookup("Echo"); got.RPC != time.Second {
		t.Errorf("Echo: %v", got)
	}
	if got := (TimeoutPolicy(nil)).Lookup("x"); got != (Timeouts{}) {
		t.Errorf("nil: %v", got)
	}
	if s := p.String(); s != "*: rpc=1s connect=50ms; Slow: rpc=10s connect=0s" {
		t.Errorf("String() = %q", s)
	}
}

func TestACL(t *testing.T) {
	ctx := context.Background()
	custom := errors.New("no token")
	rule := ACL(DenyMethods("Drop"), AllowMethods("Echo", "Drop"), func(ctx context.Context, svc, m string) error {
		if svc == "secret" {
			return custom
		}
		return nil
	})
	for _, c := range []struct {
		svc, m string
		want   error
	}{{"s", "Echo", nil}, {"s", "Drop", ErrDenied}, {"s", "Other", ErrDenied}, {"secret", "Echo", custom}} {
		if got := rule(ctx, c.svc, c.m); got != c.want {
			t.Errorf("%s.%s: %v, want %v", c.svc, c.m, got, c.want)
		}
	}
}

func TestFallbackOn(t *testing.T) {
	f := FallbackOn(IsFailure, func(_ context.Context, _ string, result any, err error) error {
		*result.(*string) = "cached"
		return nil
	})
	var res string
	if err := f(context.Background(), "Get", &res, io.EOF); err != nil || res != "cached" {
		t.Errorf("fallback: %v %q", err, res)
	}
	biz := errors.New("biz")
	res = ""
	if err := f(context.Background(), "Get", &res, biz); err != biz || res != "" {
		t.Errorf("not applied: %v %q", err, res)
	}
}
