package routeregistry

// Bookkeeping the tests check, exported to them only.

// InternedStrings is how many strings the table's interner holds.
func (t *Table) InternedStrings() int {
	return len(t.strings.strings)
}

// Profiles is how many profiles the table holds.
func (t *Table) Profiles() int {
	n := 0
	for _, p := range t.profiles {
		for ; p != nil; p = p.next {
			n++
		}
	}
	return n
}
