package vendorkit

// AppendTurn adds parts as a turn of role, merged into the last turn when
// that has the same role: Anthropic, Bedrock and Gemini want the roles to
// alternate, where chat may send two user messages in a row. No parts add
// no turn. fields gives a turn's role and parts.
func AppendTurn[T, P any](turns []T, role string, parts []P, fields func(*T) (*string, *[]P)) []T {
	if len(parts) == 0 {
		return turns
	}
	if n := len(turns); n > 0 {
		if r, ps := fields(&turns[n-1]); *r == role {
			*ps = append(*ps, parts...)
			return turns
		}
	}
	var t T
	r, ps := fields(&t)
	*r, *ps = role, parts
	return append(turns, t)
}
