package openai

// Strip removes the top-level members named in names from a JSON object
// and returns the body without them and their raw values by name. The
// rest of the body is kept byte for byte, so what is judged after is
// exactly what an upstream reads. A body with none of them is returned
// as is.
func Strip(b []byte, names ...string) ([]byte, map[string][]byte, error) {
	type span struct{ from, to int }
	var cut []span
	var found map[string][]byte
	_, err := eachMember(b, func(key []byte, start, end, prevEnd int) {
		for _, n := range names {
			if n == string(key) {
				if found == nil {
					found = map[string][]byte{}
				}
				found[n] = b[start:end]
				// Cut from the end of the previous member: its comma (or,
				// for the first member, the space after '{') goes too.
				cut = append(cut, span{prevEnd, end})
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if len(cut) == 0 {
		return b, nil, nil
	}
	out := make([]byte, 0, len(b))
	at := 0
	for _, c := range cut {
		out = append(out, b[at:c.from]...)
		at = c.to
	}
	out = append(out, b[at:]...)
	// A removed first member leaves the next one's comma just after '{'.
	return fixLeadingComma(out), found, nil
}

// fixLeadingComma drops a comma that directly follows the object's '{'
// (after whitespace).
func fixLeadingComma(b []byte) []byte {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return b
	}
	j := skipWS(b, i+1)
	if j < len(b) && b[j] == ',' {
		return append(b[:j:j], b[j+1:]...)
	}
	return b
}
