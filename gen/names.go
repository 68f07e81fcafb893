package gen

import (
	"go/token"
	"strings"
	"unicode"
)

// commonInitialisms are written in upper case when they form a whole word
// of an identifier, as golint and gopls suggest ("id" → "ID").
var commonInitialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true, "EOF": true,
	"GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true, "IP": true, "JSON": true,
	"QPS": true, "RAM": true, "RPC": true, "SLA": true, "SMTP": true, "SQL": true, "SSH": true,
	"TCP": true, "TLS": true, "TTL": true, "UDP": true, "UI": true, "UID": true, "UUID": true,
	"URI": true, "URL": true, "UTF8": true, "VM": true, "XML": true, "XSRF": true, "XSS": true,
}

// words splits an IDL identifier at underscores and at lower-to-upper case
// changes: "user_id" and "userId" both give ["user", "id"/"Id"].
func words(s string) []string {
	var ws []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '.' }) {
		start := 0
		rs := []rune(part)
		for i := 1; i < len(rs); i++ {
			if unicode.IsUpper(rs[i]) && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
				ws = append(ws, string(rs[start:i]))
				start = i
			}
		}
		ws = append(ws, string(rs[start:]))
	}
	return ws
}

// exportedName turns an IDL field or function name into an exported Go
// name: words capitalised, initialisms upper-cased ("msg_map" → "MsgMap",
// "userId" → "UserID").
func exportedName(s string) string {
	var sb strings.Builder
	for _, w := range words(s) {
		if u := strings.ToUpper(w); commonInitialisms[u] {
			sb.WriteString(u)
			continue
		}
		rs := []rune(w)
		if len(rs) > 1 && w == strings.ToUpper(w) {
			// SCREAMING_SNAKE words become Title case: "MAX_SIZE" → "MaxSize"
			rs = []rune(strings.ToLower(w))
		}
		rs[0] = unicode.ToUpper(rs[0])
		sb.WriteString(string(rs))
	}
	name := sb.String()
	if name == "" || !unicode.IsLetter([]rune(name)[0]) {
		name = "X" + name
	}
	return name
}

// typeName turns an IDL type, constant or service name into an exported Go
// name. Names without underscores keep their spelling apart from the first
// letter ("Xtruct" stays "Xtruct", "myStruct" becomes "MyStruct"); names
// with underscores are camel-cased.
func typeName(s string) string {
	if strings.Contains(s, "_") {
		return exportedName(s)
	}
	rs := []rune(s)
	rs[0] = unicode.ToUpper(rs[0])
	return string(rs)
}

// localName turns an IDL argument name into an unexported Go parameter
// name that is not a keyword.
func localName(s string) string {
	e := exportedName(s)
	ws := words(e)
	if len(ws) > 0 && commonInitialisms[ws[0]] {
		e = strings.ToLower(ws[0]) + e[len(ws[0]):]
	} else {
		rs := []rune(e)
		rs[0] = unicode.ToLower(rs[0])
		e = string(rs)
	}
	if token.IsKeyword(e) {
		e += "_"
	}
	return e
}

// packageName turns the last element of a namespace into a package name.
func packageName(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			sb.WriteRune(r)
		}
	}
	n := sb.String()
	if n == "" || unicode.IsDigit([]rune(n)[0]) {
		n = "p" + n
	}
	if token.IsKeyword(n) {
		n += "_"
	}
	return n
}
