package routeregistry

import (
	"bytes"
	"math"
)

// decoder maps a JSON object onto Go values with encoding/json's rules:
// keys match field names exactly or else case-insensitively, the last
// occurrence of a key wins, null leaves strings, numbers and booleans alone
// and clears slices, maps and pointers, a second object for a map merges
// into it, and unknown keys are skipped.
type decoder struct {
	r jsonReader
	// mismatch is the first value of the wrong type. Decoding goes on, so a
	// syntax error further on is still the error reported (encoding/json
	// checks the whole payload's syntax first).
	mismatch error
	// spare, when set, lends a map and a list to the first map and list
	// the payload has, instead of new ones (see Decoder).
	spare *spares
}

// spares are a Decoder's map and list from its previous result.
type spares struct {
	tags map[string]string
	list []string
}

// newMap returns the spare map, emptied, or a new one sized for the
// object at the reader's position.
func (d *decoder) newMap() map[string]string {
	if d.spare != nil && d.spare.tags != nil {
		m := d.spare.tags
		d.spare.tags = nil
		clear(m)
		return m
	}
	return make(map[string]string, d.countMembers())
}

// newList returns the spare list, emptied, or a new one.
func (d *decoder) newList() []string {
	if d.spare != nil && d.spare.list != nil {
		list := d.spare.list[:0]
		d.spare.list = nil
		return list
	}
	return make([]string, 0, 2)
}

// open starts decoding a payload that must be one JSON object, or null,
// which leaves everything unset. It reports whether a member follows; a
// payload that is no object is a mismatch.
func (d *decoder) open() (bool, error) {
	switch d.r.peek() {
	case '{':
		return d.r.enterObject()
	case 'n':
		return false, d.r.literal("null")
	default:
		return false, d.wrongType("payload", "a JSON object")
	}
}

// close ends decoding: err, else a syntax error after the object, else
// the first mismatch.
func (d *decoder) close(err error) error {
	if err == nil {
		err = d.r.end()
	}
	if err != nil {
		return err
	}
	return d.mismatch
}

// wrongType records that field's value has the wrong type and skips it.
func (d *decoder) wrongType(field, want string) error {
	if d.mismatch == nil {
		d.mismatch = invalid(field, "must be %s", want)
	}
	return d.r.skip()
}

// fieldIndex returns the index of the name key matches, exactly or else
// under Unicode case folding (encoding/json's rule), or -1.
func fieldIndex(key []byte, names []string) int {
	for i, name := range names {
		if string(key) == name {
			return i
		}
	}
	for i, name := range names {
		if bytes.EqualFold(key, []byte(name)) {
			return i
		}
	}
	return -1
}

func (d *decoder) str(field string, dst *string) error {
	switch d.r.peek() {
	case '"':
		s, err := d.r.string()
		*dst = s
		return err
	case 'n':
		return d.r.literal("null")
	default:
		return d.wrongType(field, "a string")
	}
}

func (d *decoder) boolean(field string, dst *bool) error {
	switch d.r.peek() {
	case 't':
		*dst = true
		return d.r.literal("true")
	case 'f':
		*dst = false
		return d.r.literal("false")
	case 'n':
		return d.r.literal("null")
	default:
		return d.wrongType(field, "a boolean")
	}
}

// integer reads an int64 the way encoding/json fills an int field: only
// an integer literal in range will do.
func (d *decoder) integer(field string, dst *int64) error {
	switch c := d.r.peek(); {
	case c == 'n':
		return d.r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		num, err := d.r.number()
		if err != nil {
			return err
		}
		n, ok := parseInt(num)
		if !ok && d.mismatch == nil {
			d.mismatch = invalid(field, "must be an integer, got %s", truncate(string(num), 32))
		}
		*dst = n
		return nil
	default:
		return d.wrongType(field, "an integer")
	}
}

// parseInt parses a JSON number that must be an integer within int64, as
// strconv.ParseInt(s, 10, 64) does (so `-0` is 0).
func parseInt(num []byte) (int64, bool) {
	negative := len(num) > 0 && num[0] == '-'
	if negative {
		num = num[1:]
	}
	if len(num) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range num {
		if c < '0' || c > '9' || n > (math.MaxUint64-9)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case negative && n <= uint64(math.MaxInt64)+1:
		return int64(-n), true // -n wraps, so 2^63 gives MinInt64
	case !negative && n <= math.MaxInt64:
		return int64(n), true
	}
	return 0, false
}

// stringList reads an array of strings; null elements become "".
func (d *decoder) stringList(field string, dst *[]string) error {
	switch d.r.peek() {
	case 'n':
		*dst = nil
		return d.r.literal("null")
	case '[':
	default:
		return d.wrongType(field, "an array of strings")
	}
	list := d.newList()
	more, err := d.r.enterArray()
	for more && err == nil {
		var s string
		if err = d.str(field, &s); err == nil {
			list = append(list, s)
			more, err = d.r.nextElement()
		}
	}
	*dst = list
	return err
}

// stringMap reads an object of strings into *dst, merging with what is
// there; null values become "".
func (d *decoder) stringMap(field string, dst *map[string]string) error {
	switch d.r.peek() {
	case 'n':
		*dst = nil
		return d.r.literal("null")
	case '{':
	default:
		return d.wrongType(field, "an object of strings")
	}
	if *dst == nil {
		*dst = d.newMap()
	}
	m := *dst
	more, err := d.r.enterObject()
	for more && err == nil {
		var key []byte
		if key, err = d.r.memberKey(); err != nil {
			return err
		}
		name := d.r.lastText(key)
		var value string
		if err = d.str(field, &value); err == nil {
			m[name] = value
			more, err = d.r.nextMember()
		}
	}
	return err
}

// countMembers counts the members of the object at the reader's position
// without moving the reader, so a map can be made at its final size.
func (d *decoder) countMembers() int {
	r := jsonReader{data: d.r.data, pos: d.r.pos, depth: d.r.depth}
	n := 0
	more, err := r.enterObject()
	for more && err == nil {
		n++
		if _, err = r.memberKey(); err == nil {
			if err = r.skip(); err == nil {
				more, err = r.nextMember()
			}
		}
	}
	return n
}

// span is where a value sits in the payload; end is 0 when there is none.
type span struct{ start, end int }

// capture skips the value at the reader's position and returns its span.
func (d *decoder) capture() (span, error) {
	d.r.peek()
	start := d.r.pos
	err := d.r.skip()
	return span{start, d.r.pos}, err
}

// sub returns a decoder for a captured value, sharing the payload's text.
func (d *decoder) sub(s span) decoder {
	if d.r.text == "" {
		d.r.text = string(d.r.data)
	}
	return decoder{r: jsonReader{data: d.r.data[:s.end], text: d.r.text[:s.end], pos: s.start}}
}
