package idl

import (
	"strconv"
	"strings"
)

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokIdent
	tokInt
	tokDouble
	tokLiteral
	tokSymbol // one of : ; , { } ( ) = < > [ ] * &
)

type token struct {
	kind tokKind
	text string // identifier, literal contents (unescaped), symbol, number text
	ival int64
	dval float64
	pos  Pos
	// doc is the comment group that ends on the line before the token (or
	// on its line, before it), cleaned; "" when there is none.
	doc string
}

// lexer splits an IDL file into tokens, remembering comments so that the
// parser can attach doc comments.
type lexer struct {
	src  string
	file string
	off  int
	line int
	col  int

	// the pending comment group
	doc        []string
	docEndLine int
	lastLine   int // the line the last token ended on
}

func newLexer(file string, src []byte) *lexer {
	return &lexer{src: string(src), file: file, line: 1, col: 1}
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) advance(n int) {
	for i := 0; i < n; i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

func (l *lexer) errorf(p Pos, format string, args ...string) error {
	msg := format
	for _, a := range args {
		msg = strings.Replace(msg, "%s", a, 1)
	}
	return &Error{Pos: p, Msg: msg}
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next returns the next token.
func (l *lexer) next() (token, error) {
	for {
		if l.off >= len(l.src) {
			return token{kind: tokEOF, pos: l.pos(), doc: l.takeDoc(l.line)}, nil
		}
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.advance(1)
			continue
		case c == '#' || c == '/' && l.peek(1) == '/':
			start := l.off
			startLine := l.line
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
			text := l.src[start:l.off]
			if c == '#' {
				text = text[1:]
			} else {
				text = text[2:]
			}
			l.addComment(startLine, l.line, strings.TrimPrefix(text, " "))
			continue
		case c == '/' && l.peek(1) == '*':
			p := l.pos()
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				return token{}, l.errorf(p, "unterminated comment")
			}
			startLine := l.line
			text := l.src[l.off : l.off+2+end+2]
			l.advance(len(text))
			l.addComment(startLine, l.line, cleanBlockComment(text))
			continue
		}
		return l.scan()
	}
}

func (l *lexer) addComment(startLine, endLine int, text string) {
	if startLine == l.lastLine {
		// a trailing comment documents the token before it, not the next
		l.doc, l.docEndLine = nil, 0
		return
	}
	if l.docEndLine == 0 || startLine > l.docEndLine+1 {
		l.doc = l.doc[:0]
	}
	l.doc = append(l.doc, text)
	l.docEndLine = endLine
}

// takeDoc returns the pending comment group if it ends right before line.
func (l *lexer) takeDoc(line int) string {
	if l.docEndLine == 0 {
		return ""
	}
	var d string
	if l.docEndLine >= line-1 {
		d = strings.TrimSpace(strings.Join(l.doc, "\n"))
	}
	l.doc, l.docEndLine = nil, 0
	return d
}

func cleanBlockComment(s string) string {
	s = strings.TrimPrefix(s, "/*")
	s = strings.TrimPrefix(s, "*")
	s = strings.TrimSuffix(s, "*/")
	lines := strings.Split(s, "\n")
	for i, ln := range lines {
		ln = strings.TrimSpace(ln)
		if strings.HasPrefix(ln, "*") {
			ln = strings.TrimPrefix(strings.TrimPrefix(ln, "*"), " ")
		}
		lines[i] = ln
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func (l *lexer) peek(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

func (l *lexer) scan() (token, error) {
	p := l.pos()
	doc := l.takeDoc(p.Line)
	defer func() { l.lastLine = l.line }()
	c := l.src[l.off]
	switch {
	case isIdentStart(c):
		start := l.off
		i := l.off + 1
		for i < len(l.src) && (isIdentChar(l.src[i]) || l.src[i] == '.' && i+1 < len(l.src) && isIdentChar(l.src[i+1])) {
			i++
		}
		text := l.src[start:i]
		l.advance(i - start)
		switch text {
		case "true":
			return token{kind: tokInt, text: text, ival: 1, pos: p, doc: doc}, nil
		case "false":
			return token{kind: tokInt, text: text, ival: 0, pos: p, doc: doc}, nil
		}
		return token{kind: tokIdent, text: text, pos: p, doc: doc}, nil
	case isDigit(c) || (c == '+' || c == '-' || c == '.') && (isDigit(l.peek(1)) || l.peek(1) == '.' && isDigit(l.peek(2))):
		return l.scanNumber(p, doc)
	case c == '"' || c == '\'':
		return l.scanLiteral(p, doc)
	case strings.IndexByte(":;,{}()=<>[]*&", c) >= 0:
		l.advance(1)
		return token{kind: tokSymbol, text: string(c), pos: p, doc: doc}, nil
	}
	return token{}, l.errorf(p, "unexpected character %s", strconv.QuoteRune(rune(c)))
}

func (l *lexer) scanNumber(p Pos, doc string) (token, error) {
	start := l.off
	i := l.off
	if l.src[i] == '+' || l.src[i] == '-' {
		i++
	}
	if strings.HasPrefix(l.src[i:], "0x") || strings.HasPrefix(l.src[i:], "0X") {
		j := i + 2
		for j < len(l.src) && strings.IndexByte("0123456789abcdefABCDEF", l.src[j]) >= 0 {
			j++
		}
		text := l.src[start:j]
		l.advance(j - start)
		neg := text[0] == '-'
		digits := text[strings.IndexAny(text, "xX")+1:]
		u, err := strconv.ParseUint(digits, 16, 64)
		if err != nil || (!neg && u > 1<<63-1) || (neg && u > 1<<63) {
			return token{}, l.errorf(p, "integer constant %s out of range", text)
		}
		v := int64(u)
		if neg {
			v = -v
		}
		return token{kind: tokInt, text: text, ival: v, pos: p, doc: doc}, nil
	}
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	isDouble := false
	if i < len(l.src) && l.src[i] == '.' && i+1 < len(l.src) && isDigit(l.src[i+1]) {
		isDouble = true
		i++
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
	}
	if i < len(l.src) && (l.src[i] == 'e' || l.src[i] == 'E') {
		j := i + 1
		if j < len(l.src) && (l.src[j] == '+' || l.src[j] == '-') {
			j++
		}
		if j < len(l.src) && isDigit(l.src[j]) {
			isDouble = true
			for j < len(l.src) && isDigit(l.src[j]) {
				j++
			}
			i = j
		}
	}
	text := l.src[start:i]
	l.advance(i - start)
	if i < len(l.src) && isIdentStart(l.src[i]) {
		return token{}, l.errorf(p, "bad number %s", text+string(l.src[i]))
	}
	if isDouble {
		d, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return token{}, l.errorf(p, "bad double constant %s", text)
		}
		return token{kind: tokDouble, text: text, dval: d, pos: p, doc: doc}, nil
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return token{}, l.errorf(p, "integer constant %s out of range", text)
	}
	return token{kind: tokInt, text: text, ival: v, pos: p, doc: doc}, nil
}

func (l *lexer) scanLiteral(p Pos, doc string) (token, error) {
	q := l.src[l.off]
	var sb strings.Builder
	i := l.off + 1
	for {
		if i >= len(l.src) {
			return token{}, l.errorf(p, "unterminated string literal")
		}
		c := l.src[i]
		if c == q {
			i++
			break
		}
		if c == '\\' {
			if i+1 >= len(l.src) {
				return token{}, l.errorf(p, "unterminated string literal")
			}
			e := l.src[i+1]
			switch e {
			case '\\':
				sb.WriteByte('\\')
			case '"':
				sb.WriteByte('"')
			case '\'':
				sb.WriteByte('\'')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			default:
				// Apache keeps unknown escapes as written.
				sb.WriteByte('\\')
				sb.WriteByte(e)
			}
			i += 2
			continue
		}
		sb.WriteByte(c)
		i++
	}
	l.advance(i - l.off)
	return token{kind: tokLiteral, text: sb.String(), pos: p, doc: doc}, nil
}
