package responses

import rs "github.com/tollgate-dev/tollgate/internal/schema/responses"

// Conversation is what a later request continues with when it names r in
// previous_response_id: the prior conversation, this request's input (a
// string input as a user message) and r's output, in order. Instructions
// are not part of it: OpenAI does not carry them over either.
func Conversation(prior []rs.Item, in *rs.Request, r *rs.Response) []rs.Item {
	out := make([]rs.Item, 0, len(prior)+len(r.Output)+4)
	out = append(out, prior...)
	if in != nil && in.Input != nil {
		if in.Input.IsText {
			out = append(out, rs.Item{Type: rs.ItemMessage, Role: rs.RoleUser, Content: rs.TextContent(in.Input.Text)})
		} else {
			out = append(out, in.Input.Items...)
		}
	}
	return append(out, r.Output...)
}
