package gen

import (
	"strconv"
	"strings"

	"github.com/kite-rpc/kite/codec/thrift/idl"
)

// clientMethods are the methods of a generated Client that IDL functions
// must not take.
var clientMethods = map[string]bool{"Kite": true, "Close": true}

func methodName(fn *idl.Function) string {
	n := exportedName(fn.Name)
	if clientMethods[n] {
		n += "_"
	}
	return n
}

func (g *generator) argsModel(f *idl.File, fn *idl.Function) *structModel {
	m := &structModel{name: methodName(fn) + "Args", idlName: fn.Name + "_args", file: f, pos: fn.Pos,
		doc: methodName(fn) + "Args is the argument struct of " + fn.Service.Name + "." + fn.Name + "."}
	for _, a := range fn.Args {
		m.fields = append(m.fields, &fieldModel{f: a, t: a.Type, required: a.Requiredness == idl.Required, def: a.Default})
	}
	m.nameFields()
	return m
}

func (g *generator) resultModel(f *idl.File, fn *idl.Function) *structModel {
	m := &structModel{name: methodName(fn) + "Result", idlName: fn.Name + "_result", file: f, pos: fn.Pos,
		doc: methodName(fn) + "Result is the result struct of " + fn.Service.Name + "." + fn.Name + "."}
	if fn.Result.Kind != idl.KindVoid {
		sf := &idl.Field{ID: 0, Name: "success", Type: fn.Result, Requiredness: idl.Optional, Pos: fn.Pos}
		m.fields = append(m.fields, &fieldModel{f: sf, t: fn.Result, cond: true, ptr: isScalar(fn.Result)})
	}
	for _, e := range fn.Throws {
		m.fields = append(m.fields, &fieldModel{f: e, t: e.Type, cond: true})
	}
	m.nameFields()
	return m
}

// zeroValue returns the zero value expression of Go values of t.
func zeroValue(t *idl.Type) string {
	switch rep(t) {
	case idl.KindBool:
		return "false"
	case idl.KindByte, idl.KindI16, idl.KindI32, idl.KindI64, idl.KindDouble, idl.KindEnum:
		return "0"
	case idl.KindString:
		return `""`
	case idl.KindUUID:
		return "[16]byte{}"
	}
	return "nil"
}

type param struct{ name, typ string }

// params returns the Go parameters of fn's arguments.
func (fg *fileGen) params(fn *idl.Function) []param {
	used := map[string]bool{"ctx": true, "opts": true, "c": true, "args": true, "res": true, "err": true,
		"a": true, "r": true, "resp": true, "impl": true, "result": true}
	var ps []param
	for _, a := range fn.Args {
		n := localName(a.Name)
		for used[n] {
			n += "_"
		}
		used[n] = true
		ps = append(ps, param{n, fg.goType(a.Type)})
	}
	return ps
}

// signature returns fn's Go method signature after the name, with
// extra appended to the parameters.
func (fg *fileGen) signature(fn *idl.Function, extra string) string {
	var sb strings.Builder
	sb.WriteString("(ctx ")
	sb.WriteString(fg.use("context", "context"))
	sb.WriteString(".Context")
	for _, p := range fg.params(fn) {
		sb.WriteString(", " + p.name + " " + p.typ)
	}
	sb.WriteString(extra + ")")
	if fn.Result.Kind == idl.KindVoid {
		sb.WriteString(" error")
	} else {
		sb.WriteString(" (" + fg.goType(fn.Result) + ", error)")
	}
	return sb.String()
}

// svcQual qualifies a name defined in the package of service s.
func (fg *fileGen) svcQual(s *idl.Service, name string) string {
	p := fg.g.svcPkg[s]
	if p == fg.pkg {
		return name
	}
	return fg.use(p.importPath, p.name) + "." + name
}

// serviceFile generates the package of service s of file f.
func (g *generator) serviceFile(f *idl.File, s *idl.Service) (File, error) {
	sp := g.svcPkg[s]
	fg := g.newFile(sp)
	fg.use(idlPkg, "idl")
	kite := fg.use(kitePkg, "kite")
	ctx := fg.use("context", "context")
	fg.pf("var _ = idl.CompatV1 // this code needs the codec API of kite gen %s", Version)
	fg.pf("")
	fg.pf("// ServiceName is the IDL name of the service.")
	fg.pf("const ServiceName = %q", s.Name)
	fg.pf("")
	all := s.AllFunctions()
	if len(all) > 0 {
		fg.pf("// Method names of %s.", s.Name)
		fg.pf("const (")
		for _, fn := range all {
			fg.pf("Method%s = %q", methodName(fn), fn.Name)
		}
		fg.pf(")")
		fg.pf("")
	}

	// Handler
	if s.Doc != "" {
		fg.comment("Handler is the server side of " + s.Name + ".\n\n" + s.Doc)
	} else {
		fg.pf("// Handler is the server side of %s.", s.Name)
	}
	fg.pf("type Handler interface {")
	if s.Base != nil {
		fg.pf("%s", fg.svcQual(s.Base, "Handler"))
	}
	for _, fn := range s.Functions {
		if fn.Doc != "" {
			fg.comment(fn.Doc)
		}
		if len(fn.Throws) > 0 {
			var ts []string
			for _, e := range fn.Throws {
				ts = append(ts, fg.goType(e.Type))
			}
			fg.pf("//")
			fg.pf("// %s may return %s, which the caller receives as the declared exception.", methodName(fn), strings.Join(ts, " or "))
		}
		fg.pf("%s%s", methodName(fn), fg.signature(fn, ""))
	}
	fg.pf("}")
	fg.pf("")

	// argument and result structs of s's own functions
	for _, fn := range s.Functions {
		for _, m := range []*structModel{g.argsModel(f, fn), g.resultModel(f, fn)} {
			if fn.Oneway && strings.HasSuffix(m.name, "Result") {
				continue
			}
			if err := fg.structDecl(m); err != nil {
				return File{}, err
			}
			fg.codec(m)
		}
	}

	// service info
	fg.pf("// NewServiceInfo describes %s for kite.Server.Register; the", s.Name)
	fg.pf("// implementation given to Register must be a Handler.")
	fg.pf("func NewServiceInfo() *%s.ServiceInfo {", kite)
	fg.pf("return &%s.ServiceInfo{", kite)
	fg.pf("Name: ServiceName,")
	// Kitex's PackageName: the Go package of the IDL's namespace, which
	// makes the gRPC path /<package>.<Service>/<Method>.
	fg.pf("Package: %q,", g.filePkg[f].name)
	fg.pf("Methods: map[string]%s.MethodInfo{", kite)
	for _, fn := range all {
		fg.methodInfo(fn)
	}
	fg.pf("},")
	fg.pf("}")
	fg.pf("}")
	fg.pf("")
	fg.pf("// NewServer returns a kite.Server with the %s service registered,", s.Name)
	fg.pf("// implemented by handler.")
	fg.pf("func NewServer(handler Handler, opts ...%s.ServerOption) *%s.Server {", kite, kite)
	fg.pf("s := %s.NewServer(opts...)", kite)
	fg.pf("if err := s.Register(NewServiceInfo(), handler); err != nil {")
	fg.pf("panic(err) // a new server accepts any one named service")
	fg.pf("}")
	fg.pf("return s")
	fg.pf("}")
	fg.pf("")
	fg.pf("var serviceInfo = NewServiceInfo()")
	fg.pf("")
	fg.pf("// Client is a typed %s client over a kite.Client. It is safe for", s.Name)
	fg.pf("// concurrent use.")
	fg.pf("type Client struct{ c *%s.Client }", kite)
	fg.pf("")
	fg.pf("// NewClient returns a typed client; service is the callee's service name")
	fg.pf("// (usually ServiceName).")
	fg.pf("func NewClient(service string, opts ...%s.ClientOption) (*Client, error) {", kite)
	fg.pf("c, err := %s.NewClient(service, append([]%s.ClientOption{%s.WithServiceInfo(serviceInfo)}, opts...)...)", kite, kite, kite)
	fg.pf("if err != nil { return nil, err }")
	fg.pf("return &Client{c: c}, nil")
	fg.pf("}")
	fg.pf("")
	fg.pf("// Kite returns the underlying kite.Client.")
	fg.pf("func (c *Client) Kite() *%s.Client { return c.c }", kite)
	fg.pf("")
	fg.pf("// Close closes the client.")
	fg.pf("func (c *Client) Close() error { return c.c.Close() }")
	fg.pf("")
	for _, fn := range all {
		fg.clientMethod(fn, kite)
	}
	_ = ctx
	doc := "Package " + sp.name + " is the " + s.Name + " service of " + sourceName(f) + ": its Handler,\n" +
		"NewServer, a typed Client, and the argument and result structs of its methods."
	return fg.finish(sp.name+".go", sourceName(f), doc)
}

func (fg *fileGen) methodInfo(fn *idl.Function) {
	mn := methodName(fn)
	args := fg.svcQual(fn.Service, mn+"Args")
	result := fg.svcQual(fn.Service, mn+"Result")
	ctx := fg.use("context", "context")
	var call []string
	for _, p := range fg.g.argsOf(fn).fields {
		call = append(call, "a."+p.name)
	}
	callExpr := "impl.(Handler)." + mn + "(" + strings.Join(append([]string{"ctx"}, call...), ", ") + ")"
	fg.pf("%q: {", fn.Name)
	fg.pf("Handler: func(ctx %s.Context, impl, args, result any) error {", ctx)
	if len(call) > 0 {
		fg.pf("a := args.(*%s)", args)
	}
	rm := fg.g.resultOf(fn)
	switch {
	case fn.Oneway || (fn.Result.Kind == idl.KindVoid && len(fn.Throws) == 0):
		fg.pf("return %s", callExpr)
	default:
		fg.pf("r := result.(*%s)", result)
		if fn.Result.Kind == idl.KindVoid {
			fg.pf("err := %s", callExpr)
		} else {
			fg.pf("resp, err := %s", callExpr)
		}
		fg.pf("if err != nil {")
		excs := rm.fields
		if fn.Result.Kind != idl.KindVoid {
			excs = excs[1:]
		}
		for i, f := range excs {
			e := "e" + strconv.Itoa(i+1)
			fg.pf("var %s %s", e, fg.goType(f.t))
			fg.pf("if %s.As(err, &%s) { r.%s = %s; return nil }", fg.use("errors", "errors"), e, f.name, e)
		}
		fg.pf("return err")
		fg.pf("}")
		if fn.Result.Kind != idl.KindVoid {
			if rm.fields[0].ptr {
				fg.pf("r.%s = &resp", rm.fields[0].name)
			} else {
				fg.pf("r.%s = resp", rm.fields[0].name)
			}
		}
		fg.pf("return nil")
	}
	fg.pf("},")
	fg.pf("NewArgs: func() any { return new(%s) },", args)
	if fn.Oneway {
		fg.pf("Oneway: true,")
	} else {
		fg.pf("NewResult: func() any { return new(%s) },", result)
	}
	fg.pf("},")
}

func (fg *fileGen) clientMethod(fn *idl.Function, kite string) {
	mn := methodName(fn)
	args := fg.svcQual(fn.Service, mn+"Args")
	result := fg.svcQual(fn.Service, mn+"Result")
	am := fg.g.argsOf(fn)
	rm := fg.g.resultOf(fn)
	ps := fg.params(fn)
	var inits []string
	for i, f := range am.fields {
		inits = append(inits, f.name+": "+ps[i].name)
	}
	switch {
	case fn.Oneway:
		fg.pf("// %s calls %s.%s, a oneway method: no reply is awaited.", mn, fn.Service.Name, fn.Name)
	case len(fn.Throws) > 0:
		fg.pf("// %s calls %s.%s; a declared exception comes back as the error.", mn, fn.Service.Name, fn.Name)
	default:
		fg.pf("// %s calls %s.%s.", mn, fn.Service.Name, fn.Name)
	}
	fg.pf("func (c *Client) %s%s {", mn, fg.signature(fn, ", opts ..."+kite+".CallOption"))
	fg.pf("args := %s{%s}", args, strings.Join(inits, ", "))
	if fn.Oneway {
		fg.pf("return c.c.Call(ctx, %q, &args, nil, opts...)", fn.Name)
		fg.pf("}")
		fg.pf("")
		return
	}
	zero := ""
	if fn.Result.Kind != idl.KindVoid {
		zero = zeroValue(fn.Result) + ", "
	}
	fg.pf("var res %s", result)
	fg.pf("if err := c.c.Call(ctx, %q, &args, &res, opts...); err != nil { return %serr }", fn.Name, zero)
	for _, f := range rm.fields {
		if fn.Result.Kind != idl.KindVoid && f == rm.fields[0] {
			continue
		}
		fg.pf("if res.%s != nil { return %sres.%s }", f.name, zero, f.name)
	}
	switch {
	case fn.Result.Kind == idl.KindVoid:
		fg.pf("return nil")
	case rm.fields[0].ptr:
		fg.pf("return res.Get%s(), nil", rm.fields[0].name)
	default:
		fg.pf("return res.%s, nil", rm.fields[0].name)
	}
	fg.pf("}")
	fg.pf("")
}

func (g *generator) argsOf(fn *idl.Function) *structModel {
	return g.argsModel(fn.Service.File, fn)
}

func (g *generator) resultOf(fn *idl.Function) *structModel {
	return g.resultModel(fn.Service.File, fn)
}
