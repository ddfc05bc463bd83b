package routeregistry

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// maxNestingDepth is encoding/json's limit on nested objects and arrays.
const maxNestingDepth = 10000

// SyntaxError says where a payload stops being JSON (RFC 8259).
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// jsonReader reads one JSON text token by token, accepting exactly what
// encoding/json accepts: whitespace, literals, numbers and strings as RFC 8259
// defines them, at most maxNestingDepth levels. Strings are unescaped the way
// encoding/json does it (invalid UTF-8 and lone surrogates become U+FFFD).
//
// Decision: registry messages arrive thousands of times a second and most are
// unchanged re-registrations; encoding/json's reflection and its validating
// pre-pass cost most of the time spent on them. This reader makes one pass
// and allocates only the strings it returns. The fuzz tests hold it to
// encoding/json's behaviour.
type jsonReader struct {
	data  []byte
	pos   int
	depth int
	// text is data as a string, made on the first string value: strings
	// without escapes are cut from it, so a message costs one string
	// allocation, not one per value.
	text string
	// scratch holds unescaped bytes; it is reused by every string.
	scratch []byte
	// lastStart is where the last string read started in data, and
	// unescaped whether it was unescaped into scratch.
	lastStart int
	unescaped bool
}

func (r *jsonReader) syntax(format string, args ...any) error {
	return &SyntaxError{Offset: r.pos, Msg: fmt.Sprintf(format, args...)}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	for r.pos < len(r.data) {
		switch c := r.data[r.pos]; c {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return c
		}
	}
	return 0
}

// end checks that nothing but whitespace follows the top-level value.
func (r *jsonReader) end() error {
	if r.peek() != 0 || r.pos < len(r.data) {
		return r.syntax("unexpected %q after the top-level value", r.data[r.pos])
	}
	return nil
}

func (r *jsonReader) enter() error {
	r.depth++
	if r.depth > maxNestingDepth {
		return r.syntax("nested deeper than %d levels", maxNestingDepth)
	}
	r.pos++
	return nil
}

// The reader walks containers with a cursor, not callbacks, so the values
// decoded into stay on the stack:
//
//	more, err := r.enterObject()
//	for more && err == nil {
//		key, err := r.memberKey() // then read or skip the value
//		...
//		more, err = r.nextMember()
//	}

// enterObject consumes `{` and reports whether a member follows.
func (r *jsonReader) enterObject() (bool, error) {
	if err := r.enter(); err != nil {
		return false, err
	}
	if r.peek() == '}' {
		r.pos++
		r.depth--
		return false, nil
	}
	return true, nil
}

// memberKey reads a member's key and the `:` after it. The key is only
// valid until the next read; keyText makes a string of it.
func (r *jsonReader) memberKey() ([]byte, error) {
	if r.peek() != '"' {
		return nil, r.unexpected("a string key")
	}
	key, err := r.stringBytes()
	if err != nil {
		return nil, err
	}
	if r.peek() != ':' {
		return nil, r.unexpected("':' after an object key")
	}
	r.pos++
	return key, nil
}

// nextMember reads what follows a member's value and reports whether
// another member follows (`,`) or the object ended (`}`).
func (r *jsonReader) nextMember() (bool, error) {
	switch r.peek() {
	case ',':
		r.pos++
		return true, nil
	case '}':
		r.pos++
		r.depth--
		return false, nil
	}
	return false, r.unexpected("',' or '}' after an object member")
}

// enterArray consumes `[` and reports whether an element follows.
func (r *jsonReader) enterArray() (bool, error) {
	if err := r.enter(); err != nil {
		return false, err
	}
	if r.peek() == ']' {
		r.pos++
		r.depth--
		return false, nil
	}
	return true, nil
}

// nextElement reads what follows an element and reports whether another
// element follows (`,`) or the array ended (`]`).
func (r *jsonReader) nextElement() (bool, error) {
	switch r.peek() {
	case ',':
		r.pos++
		return true, nil
	case ']':
		r.pos++
		r.depth--
		return false, nil
	}
	return false, r.unexpected("',' or ']' after an array element")
}

func (r *jsonReader) unexpected(want string) error {
	if r.pos >= len(r.data) {
		return r.syntax("unexpected end of input, want %s", want)
	}
	return r.syntax("unexpected %q, want %s", r.data[r.pos], want)
}

// skip reads and discards any value.
func (r *jsonReader) skip() error {
	switch c := r.peek(); {
	case c == '{':
		more, err := r.enterObject()
		for more && err == nil {
			if _, err = r.memberKey(); err == nil {
				if err = r.skip(); err == nil {
					more, err = r.nextMember()
				}
			}
		}
		return err
	case c == '[':
		more, err := r.enterArray()
		for more && err == nil {
			if err = r.skip(); err == nil {
				more, err = r.nextElement()
			}
		}
		return err
	case c == '"':
		_, err := r.stringBytes()
		return err
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := r.number()
		return err
	default:
		return r.unexpected("a JSON value")
	}
}

// null consumes a `null` and reports whether there was one.
func (r *jsonReader) null() (bool, error) {
	if r.peek() != 'n' {
		return false, nil
	}
	return true, r.literal("null")
}

func (r *jsonReader) literal(word string) error {
	if len(r.data)-r.pos < len(word) || string(r.data[r.pos:r.pos+len(word)]) != word {
		return r.syntax("invalid literal, want %s", word)
	}
	r.pos += len(word)
	return nil
}

// number reads a number and returns its text:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *jsonReader) number() ([]byte, error) {
	start := r.pos
	if r.pos < len(r.data) && r.data[r.pos] == '-' {
		r.pos++
	}
	switch {
	case r.pos < len(r.data) && r.data[r.pos] == '0':
		r.pos++
	case r.digits() == 0:
		return nil, r.syntax("invalid number")
	}
	if r.pos < len(r.data) && r.data[r.pos] == '.' {
		r.pos++
		if r.digits() == 0 {
			return nil, r.syntax("invalid number: no digit after '.'")
		}
	}
	if r.pos < len(r.data) && (r.data[r.pos] == 'e' || r.data[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.data) && (r.data[r.pos] == '+' || r.data[r.pos] == '-') {
			r.pos++
		}
		if r.digits() == 0 {
			return nil, r.syntax("invalid number: no digit in the exponent")
		}
	}
	return r.data[start:r.pos], nil
}

func (r *jsonReader) digits() int {
	start := r.pos
	for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		r.pos++
	}
	return r.pos - start
}

// string reads a string value.
// string reads a string value. Unless it had escapes, it shares memory
// with every other string read from this payload.
func (r *jsonReader) string() (string, error) {
	b, err := r.stringBytes()
	if err != nil {
		return "", err
	}
	return r.lastText(b), nil
}

// lastText makes a string of b, the result of the last stringBytes: cut
// from the payload's text when nothing was unescaped.
func (r *jsonReader) lastText(b []byte) string {
	if r.unescaped {
		return string(b)
	}
	if r.text == "" {
		r.text = string(r.data)
	}
	return r.text[r.lastStart : r.lastStart+len(b)]
}

// stringBytes reads a string and returns its unescaped bytes: a slice of
// the input when there is nothing to unescape, otherwise r.scratch. The
// result is only valid until the next read.
func (r *jsonReader) stringBytes() ([]byte, error) {
	r.pos++ // the opening quote
	r.unescaped = false
	start := r.pos
	r.lastStart = start
	for i := start; i < len(r.data); i++ {
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			return r.data[start:i], nil
		case c == '\\' || c < ' ' || c >= utf8.RuneSelf:
			r.pos = i
			return r.unquoteRest(r.data[start:i])
		}
	}
	r.pos = len(r.data)
	return nil, r.syntax("unterminated string")
}

// unquoteRest continues a string that needs unescaping or UTF-8 checks;
// prefix is what was read before.
func (r *jsonReader) unquoteRest(prefix []byte) ([]byte, error) {
	r.unescaped = true
	out := append(r.scratch[:0], prefix...)
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			r.pos++
			r.scratch = out
			return out, nil
		case c < ' ':
			return nil, r.syntax("control character %#x in a string", c)
		case c == '\\':
			var err error
			if out, err = r.escape(out); err != nil {
				return nil, err
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			r.pos++
		default:
			rr, size := utf8.DecodeRune(r.data[r.pos:])
			if rr == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, r.data[r.pos:r.pos+size]...)
			}
			r.pos += size
		}
	}
	return nil, r.syntax("unterminated string")
}

// escape appends the character the escape sequence at r.pos stands for.
// A \u surrogate pair becomes one rune; a lone surrogate becomes U+FFFD.
func (r *jsonReader) escape(out []byte) ([]byte, error) {
	if r.pos+1 >= len(r.data) {
		return nil, r.syntax("unterminated escape sequence")
	}
	c := r.data[r.pos+1]
	if c != 'u' {
		decoded, ok := simpleEscapes[c]
		if !ok {
			return nil, r.syntax("invalid escape \\%c", c)
		}
		r.pos += 2
		return append(out, decoded), nil
	}
	rr, ok := hex4(r.data[r.pos+2:])
	if !ok {
		return nil, r.syntax("invalid \\u escape")
	}
	r.pos += 6
	if utf16.IsSurrogate(rr) {
		if len(r.data)-r.pos >= 6 && r.data[r.pos] == '\\' && r.data[r.pos+1] == 'u' {
			if low, ok := hex4(r.data[r.pos+2:]); ok {
				if pair := utf16.DecodeRune(rr, low); pair != utf8.RuneError {
					r.pos += 6
					return utf8.AppendRune(out, pair), nil
				}
			}
		}
		rr = utf8.RuneError
	}
	return utf8.AppendRune(out, rr), nil
}

var simpleEscapes = map[byte]byte{
	'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var rr rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		rr = rr<<4 | rune(c)
	}
	return rr, true
}
